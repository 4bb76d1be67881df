"""Generates images of one class (or of a prompt), prints every step's exit depths and saves the PNGs.

    /usr/bin/python3 clients/python/example.py --server 127.0.0.1:50051 --class-label 7 --images 2 --out out/python
    /usr/bin/python3 clients/python/example.py --model fashion-mnist-text-uvit --prompt "a small dark ankle boot"

A server with tokens and TLS: --token-file FILE (or the token in ADADIFF_TOKEN), an https:// --server,
--ca-file for a private CA or self-signed certificate, --client-cert/--client-key for mutual TLS.
"""
import argparse
import os
import sys

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adadiff_client import AdaDiffClient, ResultEvent, StepEvent  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="127.0.0.1:50051", help="host:port, https://host:port (TLS) or dns:///host:port")
    parser.add_argument("--model", default="", help="served model (default: the server's default model)")
    parser.add_argument("--class-label", type=int, help="class of a class-conditional model (default 7 without --prompt)")
    parser.add_argument("--prompt", help="prompt of a text-conditional model (ListModels: conditioning, prompt_vocabulary)")
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="out/python")
    parser.add_argument("--token-file", help="file holding the bearer token (default: the token in ADADIFF_TOKEN, if set)")
    parser.add_argument("--ca-file", help="PEM CA certificate(s) to trust for the server's TLS certificate")
    parser.add_argument("--client-cert", help="PEM client certificate for mutual TLS (with --client-key)")
    parser.add_argument("--client-key", help="unencrypted PEM private key of --client-cert")
    args = parser.parse_args()
    if args.prompt is not None and args.class_label is not None:
        parser.error("give --class-label or --prompt, not both: a model takes one kind of condition")
    class_label = None if args.prompt is not None else (7 if args.class_label is None else args.class_label)

    token = None if args.token_file else (os.environ.get("ADADIFF_TOKEN") or "").strip() or None
    try:
        client = AdaDiffClient(args.server, token=token, token_file=args.token_file, ca_file=args.ca_file,
                               client_cert=args.client_cert, client_key=args.client_key)
    except (OSError, ValueError) as e:  # a missing or empty token file, a TLS option without TLS: before any call
        print(f"error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    with client:
        for event in client.generate(model=args.model, class_label=class_label, prompt=args.prompt, num_images=args.images, steps=args.steps, seed=args.seed):
            if isinstance(event, StepEvent):
                print(f"step {event.step_index + 1:3}  t={event.timestep:4}  exit layers {event.exit_layers} of {event.full_depth}"
                      f"  saved {event.acceleration_ratio:.1%}")
            elif isinstance(event, ResultEvent):
                for k, image in enumerate(event.images):
                    path = os.path.join(args.out, f"image-{k}-seed{image.seed}.png")
                    with open(path, "wb") as f:
                        f.write(image.png)
                    print(f"wrote {path}")
                print(f"acceleration ratio {event.stats['acceleration_ratio']:.1%} in {event.stats['wall_seconds']:.2f} s")
    return 0


def run() -> int:
    try:
        return main()
    except grpc.RpcError as e:
        hint = {grpc.StatusCode.UNAUTHENTICATED: " (pass the bearer token with --token-file FILE or ADADIFF_TOKEN)"}.get(e.code(), "")
        print(f"error: {e.code().name}: {e.details()}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
