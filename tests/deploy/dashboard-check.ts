// The type of helm/adadiff/files/dashboard.json, built from @grafana/schema: the dashboard model
// (Dashboard, Panel, RowPanel, VariableModel) and, per panel type, the panel plugin's own Options
// and FieldConfig. dashboard.test.mjs writes the JSON out as a TypeScript literal annotated with
// AdaDiffDashboard and runs `tsc --noEmit` on it: a misspelt or misplaced field (excess property),
// a value of the wrong type or enum, a missing required option or a panel type this file does not
// know fails the test.
import type { DataSourceRef, Dashboard, FieldConfigSource, GridPos, Panel, RowPanel, VariableModel } from '@grafana/schema';
import type * as BarGauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as Heatmap from '@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/**
 * How a schema type is spelt in JSON: a TypeScript string enum (ThresholdsMode, GraphDrawStyle, ...)
 * as the union of its values, everything else unchanged (numeric enums already accept their numbers).
 */
export type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | bigint | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** Every panel and query uses the dashboard's data-source variable, never a fixed data source. */
export interface DatasourceVariable extends DataSourceRef {
  type: 'prometheus';
  uid: '${datasource}';
}

/** A Prometheus query of a panel (Grafana's Prometheus data source; not part of @grafana/schema). */
export interface PrometheusTarget {
  refId: string;
  datasource: DatasourceVariable;
  /** PromQL; may use $model, $backend, $__rate_interval and $__range. */
  expr: string;
  legendFormat: string;
  editorMode?: 'code' | 'builder';
  range?: boolean;
  instant?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  interval?: string;
  exemplar?: boolean;
}

/** A panel of plugin `T` with options `O` and custom field config `F`, as the dashboard requires it. */
export type TypedPanel<T extends string, O, F> = Omit<Json<Panel<O, F>>, 'type' | 'id' | 'title' | 'description' | 'gridPos' | 'datasource' | 'targets' | 'options' | 'fieldConfig'> & {
  type: T;
  id: number;
  title: string;
  description: string;
  gridPos: Json<GridPos>;
  datasource: DatasourceVariable;
  targets: PrometheusTarget[];
  options: Json<O>;
  fieldConfig: Json<FieldConfigSource<F>>;
};

export type AdaDiffPanel =
  | TypedPanel<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | TypedPanel<'heatmap', Heatmap.Options, Heatmap.FieldConfig>
  | TypedPanel<'stat', Stat.Options, Record<string, never>>
  | TypedPanel<'bargauge', BarGauge.Options, Record<string, never>>;

/** Rows are not collapsed: their panels follow them in the dashboard's own list. */
export type AdaDiffRow = Omit<Json<RowPanel>, 'panels' | 'collapsed' | 'id' | 'title' | 'gridPos'> & {
  type: 'row';
  id: number;
  title: string;
  gridPos: Json<GridPos>;
  collapsed: false;
  panels: [];
};

export type AdaDiffVariable = Omit<Json<VariableModel>, 'datasource'> & { datasource?: DatasourceVariable };

export type AdaDiffDashboard = Omit<Json<Dashboard>, 'panels' | 'templating' | 'uid' | 'title' | 'description'> & {
  uid: string;
  title: string;
  description: string;
  panels: Array<AdaDiffPanel | AdaDiffRow>;
  templating: { list: AdaDiffVariable[] };
};
