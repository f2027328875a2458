"""einsum, tril and triu: equal to PyTorch forward and backward, second order, errors."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag

torch = pytest.importorskip("torch")  # the reference (installed by nox's package session)

CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk", [(2, 3, 3, 4), (3, 4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 5, 7), (2, 3, 6, 7)]),
    ("i,i->", [(5,), (5,)]),
    ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ij,j,jk->ik", [(2, 3), (3,), (3, 4)]),
    ("ijk,k->i", [(2, 3, 4), (4,)]),  # j is summed in operand 0 alone
    ("ij,kj->ikj", [(1, 3), (4, 3)]),  # size-1 broadcast of i
    ("i,j", [(3,), (4,)]),  # implicit output: outer product
]


@pytest.mark.parametrize(("spec", "shapes"), CASES)
def test_einsum_equals_torch_forward_and_backward(spec, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s) for s in shapes]
    probe = None

    def loss(*xs):
        return ag.sum(ag.einsum(spec, *xs) * probe)

    out = ag.einsum(spec, *arrays)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = torch.einsum(spec, *ts)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    probe = rng.normal(size=np.shape(out))
    (tout * torch.tensor(probe)).sum().backward()
    grads = ag.grad(loss, argnum=tuple(range(len(arrays))))(*arrays)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("spec", "shapes"), CASES[:4] + CASES[8:10])
def test_einsum_second_order(spec, shapes):
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=s) for s in shapes]
    a = ag.Param(arrays[0])
    rest = arrays[1:]

    def grad_norm():  # d/da |d/d(rest) sum(einsum^2)|^2 needs the rule twice
        if not rest:
            g = ag.grad(lambda x: ag.sum(ag.einsum(spec, x) ** 3))(a)
            return ag.sum(g * g)
        gs = ag.grad(lambda *r: ag.sum(ag.einsum(spec, a, *r) ** 2), argnum=0)(*rest)
        return ag.sum(gs * gs)

    assert ag.gcheck(grad_norm, nsample=20, atol=1e-6, rtol=1e-5, delta=1e-5, verbose=1)


def test_tril_triu_match_torch_and_pass_gradients():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 5))
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(ag.tril(x, k), torch.tril(torch.tensor(x), k).numpy())
        np.testing.assert_array_equal(ag.triu(x, k), torch.triu(torch.tensor(x), k).numpy())
        g = ag.grad(lambda v, k=k: ag.sum(ag.tril(v, k) * x))(x)
        np.testing.assert_array_equal(g, np.tril(x, k))
        g = ag.grad(lambda v, k=k: ag.sum(ag.triu(v, k=k) * x))(x)
        np.testing.assert_array_equal(g, np.triu(x, k))


def test_einsum_errors_name_the_problem():
    a, b = np.ones((2, 3)), np.ones((4, 5))
    with pytest.raises(ValueError, match=r"einsum: index 'j' has size 3 in one operand and 4"):
        ag.einsum("ij,jk->ik", a, b)
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij' name 1 operand\(s\) but 2"):
        ag.einsum("ij", a, b)
    with pytest.raises(ValueError, match=r"einsum: term 'ijk' has 3 indices but its operand"):
        ag.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="einsum: repeated index within one operand"):
        ag.einsum("ii->i", np.ones((3, 3)))
    with pytest.raises(ValueError, match="einsum: output 'iz' repeats an index or names one"):
        ag.einsum("ij->iz", a)
    with pytest.raises(TypeError, match="einsum: subscripts must be a string"):
        ag.einsum(3, a)
