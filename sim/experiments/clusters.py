"""Where the Dask workers of ``--dask`` come from: this machine, a running scheduler, or Slurm/PBS jobs.

``--dask slurm`` and ``--dask pbs`` go through dask-jobqueue: this process runs the scheduler and
submits jobs (``sbatch``/``qsub``) whose workers connect back to it; the jobs are cancelled when the
batch ends, however it ends.  Their workers write their result chunks straight into the output
folder (it must be on a file system the nodes share, as the home folder usually is), see
:mod:`sim.experiments.batch.executors`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from .scenario import Cluster

QUEUES = {"slurm": "SLURMCluster", "pbs": "PBSCluster"}  # --dask NAME -> the dask_jobqueue class
WORKER_DEATH_TIMEOUT = 120  # seconds a job's workers wait for a lost scheduler before they exit (and end the job)


def job_cluster(kind: str, resources: Cluster) -> Any:
    """A dask-jobqueue cluster of ``kind`` (``slurm``/``pbs``) with no job submitted yet (``scale`` submits)."""
    import dask_jobqueue

    options: dict[str, Any] = {
        "cores": resources.cores, "processes": resources.cores,  # one single-threaded worker per core
        "memory": resources.memory, "walltime": resources.walltime, "queue": resources.queue,
        "python": sys.executable,  # the nodes run this environment: it must be on the shared file system
        "job_name": "sim-batch", "death_timeout": WORKER_DEATH_TIMEOUT,
        "account": resources.account,
        "scheduler_options": {"dashboard": False, "dashboard_address": ":0"},  # no fixed port to collide on
    }
    return getattr(dask_jobqueue, QUEUES[kind])(**options)


def resources_from(scenario_cluster: Cluster, **given: Any) -> Cluster:
    """The scenario's ``[cluster]`` table with what the command line gave (non-None values) put over it."""
    return Cluster.model_validate({**scenario_cluster.model_dump(), **{k: v for k, v in given.items() if v is not None}})


@contextlib.contextmanager
def dask_client(address: str | None, workers: int | None = None,
                resources: Cluster | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``--dask`` (None without it), closed with what it started when the block ends.

    ``address``: ``local`` (a LocalCluster of ``workers`` processes), ``slurm`` or ``pbs`` (``resources.jobs``
    jobs), or a scheduler's address.
    """
    if address is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if address == "local":  # its worker processes watch their parent and end with it (tests/test_batch_signals.py)
        with LocalCluster(n_workers=workers or None, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
    elif address in QUEUES:
        resources = resources or Cluster()
        with job_cluster(address, resources) as cluster, Client(cluster) as client:
            cluster.scale(jobs=resources.jobs)
            print(f"submitted {resources.jobs} {address} job(s) of {resources.cores} core(s); waiting for the first "
                  "to start (the queue decides when)...", file=sys.stderr, flush=True)
            client.wait_for_workers(1)
            yield client
    else:
        with Client(address) as client:
            yield client
