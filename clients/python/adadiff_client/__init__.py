"""Python client of the AdaDiff gRPC service (stubs generated from protos/ on first import)."""
from .client import AdaDiffClient, Event, Image, Latent, ResultEvent, StepEvent, pb2, pb2_grpc, png_size, read_token_file

__all__ = ["AdaDiffClient", "Event", "Image", "Latent", "ResultEvent", "StepEvent", "pb2", "pb2_grpc", "png_size", "read_token_file"]
