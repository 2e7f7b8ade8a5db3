"""model-card.md, rendered from the model's registry record and its training run with Jinja2.

Markdown passes raw HTML through to readers (Zenodo's preview renders it), so every value is escaped twice
over before it reaches the text: HTML special characters become entities and Markdown's own syntax
characters are backslash-escaped, so a title like `[x](javascript:...)` stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import escape

from registry.publish.training import TrainingRun

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # inline syntax; links need [ ], which never survive
_MD_LINE_START = re.compile(
    r"^(#|[-+>=](?=\s|$)|\d+[.)](?=\s|$))"
)  # block syntax, only where a value starts a line


def md(value: Any) -> str:
    """One value as inert Markdown text on one line."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _MD_LINE_START.sub(r"\\\1", _MD_SPECIAL.sub(r"\\\1", str(escape(text))))


@dataclass(frozen=True)
class CardFacts:
    title: str
    iri: str
    description: str
    version: str
    licence: str
    creators: list[str]
    datasets: list[tuple[str, str]]  # (label, IRI)
    site_names: dict[str, str] = field(default_factory=dict)
    intended_use: str | None = None
    limitations: str | None = None
    cohort: str | None = None
    doi: str | None = None
    publication_year: str = ""


TEMPLATE = """\
# Model card: {{ c.title }}

Version {{ c.version }}. Registry record: <{{ iri }}>.

{{ c.description }}

## Intended use

{{ c.intended_use or "Research use within the consortium's approved purposes. Not a medical device; not for \
clinical decisions about individual patients." }}
{% if run.task %}
Task: {{ run.task }}.
{% endif %}

## Training data

{% for label, ds in c.datasets %}- {{ label }} (<{{ ds }}>)
{% else %}- not recorded
{% endfor %}
{% if c.cohort %}
Cohort: {{ c.cohort }}
{% endif %}

## Federated training

- Sites: {% for s in sites %}{{ s }}{% if not loop.last %}, {% endif %}{% else %}not recorded{% endfor %}
- Rounds: {{ rounds | length }}
- Strategy: {{ run.strategy or "not recorded" }}
- Privacy: {{ run.privacy or "none" }}{% if run.epsilon is not none %} (epsilon {{ run.epsilon }}){% endif %}
{% for k, v in hyper %}- {{ k }}: {{ v }}
{% endfor %}
Patient-level data never left the sites; per-site numbers below are as each site's disclosure rules let \
them out (small counts rounded or suppressed at the site).

## Metrics

{% if final %}Final: {{ final }}
{% endif %}
{% for r in rounds %}- Round {{ r.number }}: {{ r.metrics }}{{ r.loss }}
{% for s, vals in r.sites %}  - {{ s }}: {{ vals }}
{% endfor %}{% else %}No per-round metrics were recorded.
{% endfor %}
Full numbers: `metrics.json`; provenance: `ro-crate-metadata.json`.

## Limitations

{{ c.limitations or "Trained on the consortium sites' cohorts only; performance elsewhere is unknown. \
Metrics are from the federated evaluation at the same sites, not an external validation." }}

## Licence

{{ c.licence }}

## Citation

{{ creators }} ({{ c.publication_year }}). {{ c.title }} (version {{ c.version }}).\
{% if c.doi %} https://doi.org/{{ c.doi }}{% endif %}
"""

_env = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_template = _env.from_string(TEMPLATE)


def _pairs(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(md(k), md(v)) for k, v in d.items()]


def _joined(d: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in _pairs(d))


def render_card(facts: CardFacts, run: TrainingRun) -> str:
    """The card's text. Values are escaped here, once, before the template sees them (md())."""
    names = facts.site_names
    sites = [md(names.get(s, s)) for s in run.sites] or [md(names.get(s, s)) for s in names]
    rounds = [
        {
            "number": r.number,
            "metrics": _joined(r.metrics),
            "loss": f"; train loss {md(round(r.train_loss, 6))}" if r.train_loss is not None else "",
            "sites": [(md(names.get(s, s)), _joined(v)) for s, v in r.sites.items()],
        }
        for r in run.rounds
    ]
    c = CardFacts(
        title=md(facts.title),
        iri=facts.iri,
        description=md(facts.description),
        version=md(facts.version),
        licence=md(facts.licence),
        creators=[md(x) for x in facts.creators],
        datasets=[(md(label), _angle(ds)) for label, ds in facts.datasets],
        site_names={},
        intended_use=md(facts.intended_use) if facts.intended_use else None,
        limitations=md(facts.limitations) if facts.limitations else None,
        cohort=md(facts.cohort) if facts.cohort else None,
        doi=_angle(facts.doi) if facts.doi else None,
        publication_year=md(facts.publication_year),
    )
    run_view = {
        "task": md(run.task) if run.task else None,
        "strategy": md(run.strategy) if run.strategy else None,
        "privacy": md(run.privacy) if run.privacy else None,
        "epsilon": run.epsilon,
    }
    return _template.render(
        c=c,
        iri=_angle(facts.iri),
        run=run_view,
        sites=sites,
        rounds=rounds,
        final=_joined(run.final),
        hyper=_pairs(run.hyperparameters),
        creators="; ".join(c.creators) or "fairgrid consortium",
    )


def _angle(iri: str) -> str:
    """An IRI inside <...> (a Markdown autolink): only characters an autolink may hold."""
    return re.sub(r"[^A-Za-z0-9\-._~:/?#@!$&'*+,;=%]", "", iri)
