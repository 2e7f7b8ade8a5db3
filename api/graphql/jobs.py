"""GraphQL types and resolvers of training jobs (federation/jobs): the schema wires them in."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.federation import follow_in_background, job_service, training_service
from api.graphql.concepts import Ctx
from federation.jobs.record import JobSpec, JobView, job_json
from federation.jobs.service import JobService
from registry.errors import StaleRevision, Unavailable
from registry.wiring import Registry


def _service(registry: Registry) -> JobService:
    return job_service(registry)  # the composition root's, audited


@strawberry.type(description="A training job: its settings, state, and the signed documents sites verify.")
class TrainingJob:
    iri: str
    title: str
    state: str = strawberry.field(
        description="submitted, approved or rejected; running, completed or failed once started"
    )
    model: str
    fab_hash: str
    cohort_criteria: JSON
    sites: list[str]
    run_config: JSON = strawberry.field(description="what approvals bind and the site gate compares")
    purpose: str
    requester: str
    expires: datetime
    approvals: list[JSON] = strawberry.field(description="signed approval documents ({body, sig})")
    revocations: list[JSON] = strawberry.field(description="signed revocation documents ({body, sig})")
    rejection: str | None
    revision: int
    run_id: str | None = strawberry.field(description="the Flower run id on the SuperLink")
    round: int | None = strawberry.field(description="rounds finished so far")
    rounds: int | None = strawberry.field(description="rounds the run was started with")
    run_sites: list[str] | None = strawberry.field(description="the sites the run was sent to")
    left_out: JSON | None = strawberry.field(description="target sites not asked, and why")
    metrics: JSON | None = strawberry.field(description="the last round's aggregate metrics")
    site_metrics: JSON | None = strawberry.field(
        description="per site, the last round's numbers as each site disclosed them (its rules applied)"
    )
    history: JSON | None = strawberry.field(description="one entry per finished round")
    model_iri: str | None = strawberry.field(description="the MLDCAT-AP model record the run registered")
    run_error: str | None = strawberry.field(description="why the run failed")

    @staticmethod
    def of(job: JobView) -> TrainingJob:
        d = job_json(job)
        run = job.run or {}
        return TrainingJob(
            iri=job.iri, title=job.spec.title, state=job.state, model=job.spec.model,
            fab_hash=job.spec.fab_hash,
            cohort_criteria=d["cohort_criteria"], sites=list(job.spec.sites), run_config=d["run_config"],
            purpose=job.spec.purpose, requester=job.requester, expires=job.spec.expires,
            approvals=d["approvals"], revocations=d["revocations"], rejection=job.rejection,
            revision=job.revision, run_id=run.get("run_id"), round=run.get("round"), rounds=run.get("rounds"),
            run_sites=run.get("sites"), left_out=run.get("refused"), metrics=run.get("metrics"),
            site_metrics=run.get("per_site"), history=run.get("history"), model_iri=job.trained_model,
            run_error=run.get("error"),
        )  # fmt: skip


@strawberry.input(description="A training job request; checked against the shapes and the criteria language.")
class TrainingJobInput:
    title: str
    model: str = strawberry.field(description="IRI of an MLDCAT-AP model record")
    fab_hash: str = strawberry.field(description="sha256 of the Flower app bundle, 64 hex digits")
    cohort_criteria: JSON = strawberry.field(description="feasibility criteria document")
    sites: list[str]
    rounds: int
    strategy: str = strawberry.field(description="FedAvg or FedProx")
    purpose: str
    expires: datetime
    hyperparameters: JSON | None = None
    privacy: str = "none"
    epsilon: float | None = None
    gpu: bool = False

    def spec(self) -> JobSpec:
        hyper: Any = self.hyperparameters if self.hyperparameters is not None else {}
        return JobSpec(
            title=self.title, model=self.model, fab_hash=self.fab_hash, criteria=self.cohort_criteria,
            sites=tuple(self.sites), rounds=self.rounds, strategy=self.strategy, purpose=self.purpose,
            expires=self.expires, hyperparameters=hyper, privacy=self.privacy, epsilon=self.epsilon,
            gpu=self.gpu,
        )  # fmt: skip


async def training_job(info: Ctx, iri: str) -> TrainingJob:
    ctx = info.context
    job = await ctx.run(_service(ctx.registry).show, ctx.identity, iri)  # the caller may read it
    if job.state == "running":  # read the run's progress into the record (the hub's bookkeeping)
        training = training_service(ctx.registry)
        if training.runner is not None:
            # a SuperLink that does not answer leaves the job as last recorded: reading never fails on it
            with contextlib.suppress(Unavailable, StaleRevision):
                job, _ = await ctx.run(training.refresh, iri)
    return TrainingJob.of(job)


async def start(info: Ctx, iri: str, min_sites: int | None = None) -> TrainingJob:
    ctx = info.context
    training = training_service(ctx.registry)
    job = await ctx.run(training.start, ctx.identity, iri, min_sites=min_sites)
    follow_in_background(training, iri)
    return TrainingJob.of(job)


async def submit(info: Ctx, job: TrainingJobInput) -> TrainingJob:
    ctx = info.context
    return TrainingJob.of(await ctx.run(_service(ctx.registry).submit, ctx.identity, job.spec()))


async def approve(info: Ctx, iri: str, custodian_approval: JSON | None = None) -> TrainingJob:
    ctx = info.context
    svc = _service(ctx.registry)
    if custodian_approval is None:
        return TrainingJob.of(await ctx.run(svc.approve, ctx.identity, iri))
    return TrainingJob.of(await ctx.run(svc.add_custodian_approval, ctx.identity, iri, custodian_approval))


async def reject(info: Ctx, iri: str, note: str) -> TrainingJob:
    ctx = info.context
    return TrainingJob.of(await ctx.run(_service(ctx.registry).reject, ctx.identity, iri, note))


async def revoke(
    info: Ctx, iri: str, approval_id: str, revocation: JSON | None = None, reason: str = ""
) -> TrainingJob:
    ctx = info.context
    svc = _service(ctx.registry)
    return TrainingJob.of(
        await ctx.run(svc.revoke, ctx.identity, iri, approval_id, document=revocation, reason=reason)
    )
