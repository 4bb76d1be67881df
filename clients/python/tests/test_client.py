"""The Python client against the real server: step events, images, latents, errors, the example."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
import pytest

from adadiff_client import AdaDiffClient, ResultEvent, StepEvent, png_size

EXAMPLE = Path(__file__).resolve().parents[1] / "example.py"


def test_list_models_default_first(server):
    with AdaDiffClient(server.target) as client:
        models = client.list_models()
    assert models, "no models served"
    assert models[0].is_default
    assert models[0].depth > 0 and models[0].height > 0


def test_generate_streams_one_step_per_step_then_images(server):
    with AdaDiffClient(server.target) as client:
        events = list(client.generate(class_label=3, num_images=2, steps=4, seed=11, preview_every=2))
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [s.step_index for s in steps] == [0, 1, 2, 3]
    assert isinstance(events[-1], ResultEvent) and len(events) == 5
    for s in steps:
        assert len(s.exit_layers) == 2
        assert all(1 <= layer <= s.full_depth for layer in s.exit_layers)
        assert 0.0 <= s.acceleration_ratio < 1.0
    timesteps = [s.timestep for s in steps]
    assert timesteps == sorted(timesteps, reverse=True) and timesteps[-1] == 0
    # previews every 2 steps and on the last: steps 2 and 4 (indices 1, 3)
    assert [len(s.preview_pngs) for s in steps] == [0, 2, 0, 2]
    result = events[-1]
    assert [i.seed for i in result.images] == [11, 12]
    for image in result.images:
        assert png_size(image.png) == (28, 28)
    executed = sum(sum(s.exit_layers) for s in steps)
    assert result.stats["layers_executed"] == executed
    assert result.stats["layers_full"] == 4 * 2 * steps[0].full_depth
    assert result.stats["acceleration_ratio"] == pytest.approx(steps[-1].acceleration_ratio, abs=1e-9)


def test_generate_predicted_clean_is_x0_in_range_and_ends_on_the_last_latent(server):
    with AdaDiffClient(server.target) as client:
        events = list(client.generate(class_label=3, num_images=1, steps=4, seed=11, latent_encoding="float32",
                                      latent_every=4, predicted_clean_every=2))
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [s.predicted_clean is not None for s in steps] == [False, True, False, True]
    for s in steps[1::2]:
        assert s.predicted_clean.shape == (1, 1, 28, 28)
        assert all(-1.0 <= v <= 1.0 for v in s.predicted_clean.data)
    # DDIM's last step lands on its x0 prediction
    assert steps[-1].predicted_clean.data == steps[-1].latent.data


@pytest.mark.parametrize("encoding", ["float32", "float16"])
def test_generate_latents_decode_to_shape(server, encoding):
    with AdaDiffClient(server.target) as client:
        steps = [e for e in client.generate(num_images=1, class_label=0, steps=2, seed=5, latent_encoding=encoding)
                 if isinstance(e, StepEvent)]
    for s in steps:
        assert s.latent is not None
        assert s.latent.shape == (1, 1, 28, 28)
        assert len(s.latent.data) == 28 * 28
        assert all(abs(v) < 100 for v in s.latent.data)


def test_generate_invalid_argument_not_retried(server):
    with AdaDiffClient(server.target, max_attempts=5) as client:
        with pytest.raises(grpc.RpcError) as error:
            list(client.generate(steps=100000))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "steps" in error.value.details()


def test_generate_prompt_sent_and_refused_by_the_class_model(server):
    with AdaDiffClient(server.target) as client:
        first = client.list_models()[0]
        assert first.DESCRIPTOR.fields_by_name["conditioning"].enum_type.values_by_number[first.conditioning].name == "CONDITIONING_CLASS"
        with pytest.raises(grpc.RpcError) as error:
            list(client.generate(prompt="a small dark ankle boot", steps=2))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "prompt" in error.value.details()


def test_generate_class_and_prompt_refused_before_calling(server):
    with AdaDiffClient(server.target) as client:
        with pytest.raises(ValueError, match="class_label or prompt"):
            list(client.generate(class_label=1, prompt="a boot"))


def test_generate_unknown_model_not_found(server):
    with AdaDiffClient(server.target) as client:
        with pytest.raises(grpc.RpcError) as error:
            list(client.generate(model="no-such-model", steps=2))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_round_robin_over_dns_name(server):
    with AdaDiffClient(f"dns:///localhost:{server.grpc_port}", round_robin=True) as client:
        assert client.list_models()


def test_example_saves_pngs(server):
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run([sys.executable, str(EXAMPLE), "--server", server.target, "--steps", "3", "--images", "2", "--out", out],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert run.stdout.count("step ") == 3
        pngs = sorted(os.listdir(out))
        assert pngs == ["image-0-seed42.png", "image-1-seed43.png"]
        assert png_size(Path(out, pngs[0]).read_bytes()) == (28, 28)
