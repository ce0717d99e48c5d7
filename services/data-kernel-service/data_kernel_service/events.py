"""Events of data-kernel-service: the ones it publishes, and ``TransformRequested`` which it consumes and owns."""

from __future__ import annotations

from typing import Any, ClassVar

from arrakis_common.events import Event


class DatasetCreated(Event):
    subject: ClassVar[str] = "arrakis.data.dataset.created"
    version: ClassVar[int] = 1
    dataset_id: str
    name: str
    columns: list[dict[str, Any]]
    derived_from: str | None = None


class DatasetUpdated(Event):
    """Records were ingested into a dataset, or a transform replaced it."""

    subject: ClassVar[str] = "arrakis.data.dataset.updated"
    version: ClassVar[int] = 1
    dataset_id: str
    name: str
    record_count: int
    version_number: int
    reason: str


class TransformCompleted(Event):
    subject: ClassVar[str] = "arrakis.data.transform.completed"
    version: ClassVar[int] = 1
    transform_id: str
    run_id: str
    output_dataset_id: str
    rows_in: int
    rows_out: int


class TransformFailed(Event):
    subject: ClassVar[str] = "arrakis.data.transform.failed"
    version: ClassVar[int] = 1
    transform_id: str
    run_id: str
    error: str


class TransformRequested(Event):
    """Ask data-kernel-service to run a transform (published by scheduler jobs or from outside)."""

    subject: ClassVar[str] = "arrakis.data.transform.requested"
    version: ClassVar[int] = 1
    publishers: ClassVar[tuple[str, ...]] = ("scheduler-service",)
    transform_id: str
    requested_by: str | None = None
