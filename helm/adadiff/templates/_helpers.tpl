{{/*
Names. Kubernetes names and label values are at most 63 characters, so every name is truncated
there, and a trailing "-" left by the cut is removed.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "adadiff.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The resource name prefix: fullnameOverride, else the release name when it already contains the
chart name (release "adadiff" gives "adadiff"), else "<release>-<chart>".
*/}}
{{- define "adadiff.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A name with a suffix: the full name cut so that "<fullname>-<suffix>" still fits 63 characters. */}}
{{- define "adadiff.suffixedName" -}}
{{- $suffix := index . 1 -}}
{{- $room := sub 62 (len $suffix) | int -}}
{{- printf "%s-%s" (include "adadiff.fullname" (index . 0) | trunc $room | trimSuffix "-") $suffix -}}
{{- end -}}

{{/* The headless Service: "<fullname>-headless". */}}
{{- define "adadiff.headlessName" -}}
{{- include "adadiff.suffixedName" (list . "headless") -}}
{{- end -}}

{{/* The Grafana dashboard ConfigMap: "<fullname>-dashboard". */}}
{{- define "adadiff.dashboardName" -}}
{{- include "adadiff.suffixedName" (list . "dashboard") -}}
{{- end -}}

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "adadiff.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pods; they never change over the life of a release. */}}
{{- define "adadiff.selectorLabels" -}}
app.kubernetes.io/name: {{ include "adadiff.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "adadiff.labels" -}}
helm.sh/chart: {{ include "adadiff.chart" . }}
{{ include "adadiff.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | toString | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: adadiff
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The ServiceAccount the pods run as. */}}
{{- define "adadiff.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "adadiff.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The server image: repository:tag[-gpu][@digest]. The tag defaults to the chart's appVersion. */}}
{{- define "adadiff.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- if .Values.gpu.enabled -}}
{{- $tag = printf "%s%s" $tag .Values.gpu.imageTagSuffix -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The execution provider: config.executionProvider, else cuda with gpu.enabled, else cpu. */}}
{{- define "adadiff.executionProvider" -}}
{{- .Values.config.executionProvider | default (ternary "cuda" "cpu" .Values.gpu.enabled) -}}
{{- end -}}

{{/*
Intra-op threads: config.threads when above 0, else the CPU limit rounded up (at least 1): "2" or 2
gives 2, "1500m" or 1.5 gives 2, "500m" gives 1. Empty when neither is set (the server then uses
every processor it sees).
*/}}
{{- define "adadiff.threads" -}}
{{- $threads := int .Values.config.threads -}}
{{- if gt $threads 0 -}}
{{- $threads -}}
{{- else -}}
{{- $cpu := dig "limits" "cpu" "" .Values.resources | default "" | toString -}}
{{- if $cpu -}}
{{- if hasSuffix "m" $cpu -}}
{{- max 1 (ceil (divf (trimSuffix "m" $cpu | float64) 1000) | int) -}}
{{- else -}}
{{- max 1 (ceil (float64 $cpu) | int) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Container resources: values' resources (null entries dropped) plus the GPU with gpu.enabled. */}}
{{- define "adadiff.resources" -}}
{{- $out := dict -}}
{{- range $section := list "requests" "limits" -}}
{{- $entries := dict -}}
{{- range $k, $v := (dig $section dict $.Values.resources) -}}
{{- if not (kindIs "invalid" $v) -}}
{{- $_ := set $entries $k $v -}}
{{- end -}}
{{- end -}}
{{- if and (eq $section "limits") $.Values.gpu.enabled -}}
{{- $_ := set $entries $.Values.gpu.resourceName (int $.Values.gpu.count) -}}
{{- end -}}
{{- if $entries -}}
{{- $_ := set $out $section $entries -}}
{{- end -}}
{{- end -}}
{{- if $out -}}
{{- toYaml $out -}}
{{- end -}}
{{- end -}}

{{/* Where the server finds the model repository, by model.source. */}}
{{- define "adadiff.modelRepository" -}}
{{- $source := .Values.model.source -}}
{{- if eq $source "image" -}}
/app/models
{{- else if or (eq $source "pvc") (eq $source "initContainer") -}}
/models
{{- else -}}
{{- fail (printf "model.source is %q; it must be image, pvc or initContainer" $source) -}}
{{- end -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds: the preStop sleep, then the server's drain after SIGTERM, then a
margin for the process to exit. The kubelet counts the grace period from the start of preStop.
*/}}
{{- define "adadiff.terminationGracePeriodSeconds" -}}
{{- add (int .Values.termination.preStopSleepSeconds) (int .Values.config.drainTimeoutSeconds) (int .Values.termination.gracePeriodMarginSeconds) -}}
{{- end -}}

{{/* Mount points of the credentials (fixed: the server options point at files below them). */}}
{{- define "adadiff.tokensDir" -}}/var/run/secrets/adadiff/tokens{{- end -}}
{{- define "adadiff.tlsDir" -}}/var/run/secrets/adadiff/tls{{- end -}}

{{/* The ConfigMap's data: the tunable server options as ADADIFF__ environment variables. */}}
{{- define "adadiff.configData" -}}
ADADIFF__DEFAULTMODEL: {{ .Values.config.defaultModel | quote }}
ADADIFF__BACKEND: {{ .Values.config.backend | quote }}
ADADIFF__EXECUTIONPROVIDER: {{ include "adadiff.executionProvider" . | quote }}
ADADIFF__CUDAFALLBACKTOCPU: {{ .Values.config.cudaFallbackToCpu | toString | quote }}
ADADIFF__REEXPORTSTALEONNX: {{ .Values.config.reexportStaleOnnx | toString | quote }}
ADADIFF__CACHEONNXEXPORT: {{ .Values.config.cacheOnnxExport | toString | quote }}
ADADIFF__MAXIMAGESPERREQUEST: {{ int .Values.config.maxImagesPerRequest | toString | quote }}
ADADIFF__MAXSTEPS: {{ int .Values.config.maxSteps | toString | quote }}
ADADIFF__MAXQUEUEDJOBS: {{ int .Values.config.maxQueuedJobs | toString | quote }}
ADADIFF__MAXACTIVEJOBS: {{ int .Values.config.maxActiveJobs | toString | quote }}
ADADIFF__MAXBATCHROWS: {{ int .Values.config.maxBatchRows | toString | quote }}
{{- with include "adadiff.threads" . }}
ADADIFF__THREADS: {{ . | quote }}
{{- end }}
ADADIFF__RETRYAFTERSECONDS: {{ .Values.config.retryAfterSeconds | toString | quote }}
ADADIFF__ENABLEDETAILEDERRORS: {{ .Values.config.enableDetailedErrors | toString | quote }}
ADADIFF__DRAINTIMEOUTSECONDS: {{ int .Values.config.drainTimeoutSeconds | toString | quote }}
LOGGING__LOGLEVEL__DEFAULT: {{ .Values.config.logLevel | quote }}
{{- range $key, $value := .Values.config.extra }}
{{ printf "ADADIFF__%s" $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}
