"""Generates images of one class, prints every step's exit depths and saves the PNGs.

    /usr/bin/python3 clients/python/example.py --server 127.0.0.1:50051 --class-label 7 --images 2 --out out/python
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adadiff_client import AdaDiffClient, ResultEvent, StepEvent  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--class-label", type=int, default=7)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="out/python")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    with AdaDiffClient(args.server) as client:
        for event in client.generate(class_label=args.class_label, num_images=args.images, steps=args.steps, seed=args.seed):
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


if __name__ == "__main__":
    sys.exit(main())
