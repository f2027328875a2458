"""plugrad-distributed is reached as ``pg.distributed``, not flat."""

import plugrad as pg
import plugrad_distributed


def test_distributed_is_a_namespace_of_the_meta_package() -> None:
    assert pg.distributed is plugrad_distributed
    assert "distributed" in pg.__all__
    assert pg.distributed.world_size() == 1
    # flat, these would read as something else; save/load stay plugrad-data's
    for name in ("rank", "init", "barrier", "allreduce", "AllReduceMean"):
        assert not hasattr(pg, name), name
    assert pg.save is pg.data.save and pg.load is pg.data.load
    opt = pg.chain(pg.distributed.AllReduceMean(), pg.Adam())
    assert isinstance(opt.transforms[0], pg.distributed.AllReduceMean)


def test_info_lists_the_component() -> None:
    assert "plugrad-distributed" in pg.info()
