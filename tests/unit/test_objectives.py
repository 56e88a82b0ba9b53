import pytest
import torch

from vaekit.errors import ConfigError
from vaekit.objectives import (
    CyclicalSchedule,
    LinearWarmup,
    elbo_loss,
    free_bits_kl,
    make_kl_schedule,
)


def test_linear_warmup_values():
    s = LinearWarmup(10)
    assert [s(t) for t in (0, 2.5, 5, 10, 30)] == [0.0, 0.25, 0.5, 1.0, 1.0]
    assert LinearWarmup(0)(0) == 1.0


def test_cyclical_schedule_values():
    # 40 epochs, 4 cycles of 10, rising over the first half of each
    s = CyclicalSchedule(40, cycles=4, ratio=0.5)
    assert s(0) == 0.0
    assert s(2.5) == pytest.approx(0.5)
    assert s(5) == 1.0 and s(9.9) == 1.0
    assert s(10) == 0.0  # a new cycle starts from zero
    assert s(12.5) == pytest.approx(0.5)
    assert s(35) == 1.0 and s(40) == 1.0


def test_schedule_factory_and_errors():
    assert make_kl_schedule("constant", 10)(0) == 1.0
    with pytest.raises(ConfigError, match="unknown KL schedule"):
        make_kl_schedule("sigmoid", 10)
    with pytest.raises(ConfigError):
        CyclicalSchedule(10, cycles=0)
    with pytest.raises(ConfigError):
        CyclicalSchedule(10, ratio=0)


def test_free_bits_floor_value_and_gradient():
    kl = torch.tensor([0.05, 0.3, 2.0], requires_grad=True)
    out = free_bits_kl(kl, 0.25)
    assert out.item() == pytest.approx(0.25 + 0.3 + 2.0)
    out.backward()
    assert kl.grad.tolist() == [0.0, 1.0, 1.0]  # no push below the floor
    assert free_bits_kl(kl.detach(), 0.0).item() == pytest.approx(2.35)


def test_elbo_loss_terms():
    log_px = torch.tensor([-10.0, -20.0])
    kl = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = elbo_loss(log_px, kl, kl_weight=0.5, free_bits=0.0)
    assert out.reconstruction.item() == 15.0
    assert out.kl.item() == 5.0
    assert out.kl_per_dim.tolist() == [2.0, 3.0]
    assert out.total.item() == 15.0 + 2.5
    assert out.elbo.item() == -20.0
