"""The bulk seeder's own bookkeeping: a run of ``seed_demo --cases N`` and the batches of it
that are in the database, so that an interrupted run continues where it stopped.

A batch's row is written in the batch's own transaction: it is there exactly when the
batch's cases, rows and audit entries are, whatever moment the process was stopped at.
"""

from __future__ import annotations

from django.db import models


class BulkRun(models.Model):
    cases = models.PositiveIntegerField()
    batch_size = models.PositiveIntegerField()
    # Batch k draws from random.Random(seed + k): a batch made again is the batch it was.
    seed = models.BigIntegerField()
    # The teams the run's cases go to, chosen once (teams made later do not change it).
    team_ids = models.JSONField(default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"bulk run {self.pk} ({self.cases} cases)"


class BulkBatch(models.Model):
    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    cases = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="demo_batch_once_per_run")
        ]

    def __str__(self) -> str:
        return f"batch {self.number} of run {self.run_id}"
