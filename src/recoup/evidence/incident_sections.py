"""What the incident report says, section by section, as words (pure: facts and words in, texts out).

The PDF layout (recoup.evidence.incident_pdf) only draws these: label/value pairs or tables of texts.
Headings are English msgids of the incident_report catalogues; codes go through `Words.code`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from recoup.evidence.incident_facts import ActionFact, CaseFacts, EventFact, FindingFact, Person
from recoup.evidence.incident_words import NOTHING, Words


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Rows:
    """A table (with `headings` and column `widths`, fractions of the page) or, without headings,
    label/value pairs."""

    rows: tuple[tuple[str, ...], ...]
    headings: tuple[str, ...] = ()
    widths: tuple[float, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    parts: tuple[Heading | Rows, ...] = field(default=())
    empty: str = ""  # what the section says when it has no parts


def _or_nothing(text: str | None) -> str:
    return text.strip() if text and text.strip() else NOTHING


def _said(text: str, facts: CaseFacts, words: Words) -> str:
    """A summary or note; one that is a finding's bilingual explanation (a case opened from a finding keeps it)
    in the report's language only."""
    if any(finding.explanation.strip() == text.strip() for finding in facts.findings):
        return words.explanation(text)
    return _or_nothing(text)


def _joined(words: Words, texts: Sequence[str]) -> str:
    return ("、" if words.locale == "zh_CN" else ", ").join(texts) or NOTHING


def _pairs(words: Words, pairs: Sequence[tuple[str, str]]) -> Rows:
    return Rows(tuple((words.t(label), value) for label, value in pairs))


def case_section(facts: CaseFacts, words: Words) -> Section:
    return Section(words.t("The case"), (_pairs(words, [
        ("Case number", facts.number),
        ("Kind", words.code(facts.kind)),
        ("Cause", words.code(facts.cause) if facts.cause else words.t("No cause named")),
        ("Direction of the money", words.code(facts.direction)),
        ("State", words.code(facts.state)),
        ("Rung", words.code(facts.rung)),
        ("Transaction time", words.when(facts.txn_time)),
        ("Reference number (RRN)", _or_nothing(facts.rrn)),
        ("Order number", _or_nothing(facts.order_no)),
        ("Opened", f"{words.when(facts.opened_at)} · {facts.opened_by}"),
        ("Owner", _or_nothing(facts.owner)),
        ("Deadline", words.when(facts.deadline_at)),
        ("Summary", _said(facts.summary, facts, words)),
    ]),))


def place_section(facts: CaseFacts, words: Words) -> Section:
    place = facts.place
    return Section(words.t("Time and place"), (_pairs(words, [
        ("Merchant", f"{place.merchant_name} ({place.merchant_id})"),
        ("Merchant category (MCC)", _or_nothing(place.mcc)),
        ("City", _or_nothing(place.city)),
        ("Terminal", _or_nothing(place.terminal_id)),
        ("Terminal model", _or_nothing(place.terminal_model)),
        ("Terminal location", _or_nothing(place.terminal_location)),
        ("Time zone", place.timezone),
    ]),))


def _person(person: Person, words: Words) -> tuple[str, ...]:
    shown = person.display_name and person.display_name != person.name
    name = f"{person.display_name} ({person.name})" if shown else person.name
    role = words.code(person.role) if person.role else words.t("System or outside Recoup")
    return name, role, _joined(words, [words.code(code) for code in person.did])


def people_section(facts: CaseFacts, words: Words) -> Section:
    rows = tuple(_person(person, words) for person in facts.people)
    return Section(words.t("People"), (Rows(rows, (words.t("Who"), words.t("Role"), words.t("What they did")),
                                            (0.3, 0.2, 0.5)),))


def transactions_section(facts: CaseFacts, words: Words) -> Section:
    sources = {"journal": words.t("Terminal journal"), "settlement": words.t("Acquirer settlement")}
    rows = tuple((sources.get(line.source, line.source), words.when(line.txn_time), line.terminal_id, line.rrn,
                  words.code(line.txn_type), words.code(line.status), words.money(line.amount_minor, line.currency),
                  _or_nothing(line.card_masked)) for line in facts.transactions)
    headings = ("Source", "When", "Terminal", "RRN", "Type", "Status", "Amount", "Card")
    parts = (Rows(rows, tuple(words.t(h) for h in headings), (0.12, 0.11, 0.11, 0.15, 0.08, 0.1, 0.14, 0.19)),)
    return Section(words.t("Transactions"), parts if rows else (), words.t("No transaction is linked to this case."))


def _finding(number: int, finding: FindingFact, words: Words) -> tuple[Heading, Rows]:
    money = words.money
    heading = Heading(f"{words.t('Finding')} {number}: {words.code(finding.kind)}")
    return heading, _pairs(words, [
        ("Kind", words.code(finding.kind)),
        ("Cause", words.code(finding.cause) if finding.cause else words.t("No cause named")),
        ("Charged", money(finding.charged_minor, finding.currency)),
        ("Expected", money(finding.expected_minor, finding.currency)),
        ("Difference", money(finding.difference_minor, finding.currency)),
        ("Confidence", f"{finding.confidence:.0%}"),
        ("Reason codes", _joined(words, list(finding.reason_codes))),
        ("Explanation", words.explanation(finding.explanation)),
    ])


def finding_section(facts: CaseFacts, words: Words) -> Section:
    parts = tuple(part for number, finding in enumerate(facts.findings, start=1)
                  for part in _finding(number, finding, words))
    return Section(words.t("The finding"), parts, words.t("Reported by hand: no reconciliation finding."))


def _event(event: EventFact, facts: CaseFacts, words: Words) -> tuple[str, ...]:
    change = ""
    if event.from_state or event.to_state:
        change = f"{words.code(event.from_state)} → {words.code(event.to_state)}"
    note = _said(event.note, facts, words)
    return words.when(event.at), event.actor, words.code(event.event), change or NOTHING, note


def timeline_section(facts: CaseFacts, words: Words) -> Section:
    rows = tuple(_event(event, facts, words) for event in facts.timeline)
    headings = tuple(words.t(h) for h in ("When", "Who", "What", "State", "Note"))
    return Section(words.t("Timeline of measures"), (Rows(rows, headings, (0.18, 0.13, 0.15, 0.2, 0.34)),)
                   if rows else (), words.t("Nothing recorded yet."))


def communications_section(facts: CaseFacts, words: Words) -> Section:
    rows = tuple((words.when(item.at), item.actor, words.code(item.channel), _or_nothing(item.text))
                 for item in facts.communications)
    headings = tuple(words.t(h) for h in ("When", "Who", "Channel", "Text"))
    return Section(words.t("Communications"), (Rows(rows, headings, (0.18, 0.13, 0.13, 0.56)),) if rows else (),
                   words.t("No communication recorded."))


def _action(action: ActionFact, words: Words) -> tuple[str, ...]:
    confirmed = NOTHING
    if action.confirmed_at is not None:
        confirmed = f"{words.when(action.confirmed_at)} · {_or_nothing(action.confirmed_by)}"
    return (str(action.id), words.code(action.kind), words.money(action.amount_minor, action.currency),
            words.code(action.status), f"{words.when(action.requested_at)} · {action.requested_by}",
            _or_nothing(action.reference), confirmed, _or_nothing(action.note))


def actions_section(facts: CaseFacts, words: Words) -> Section:
    rows = tuple(_action(action, words) for action in facts.actions)
    headings = ("No.", "Action", "Amount", "State", "Requested", "Reference", "Confirmation", "Note")
    parts = (Rows(rows, tuple(words.t(h) for h in headings), (0.05, 0.12, 0.14, 0.11, 0.16, 0.14, 0.18, 0.1)),)
    return Section(words.t("Recovery actions"), parts if rows else (), words.t("No recovery action yet."))


def alerts_section(facts: CaseFacts, words: Words) -> Section:
    rows = tuple((words.when(alert.at), words.code(alert.kind), _or_nothing(alert.message),
                  words.code(alert.owner) if alert.owner else NOTHING) for alert in facts.alerts)
    headings = tuple(words.t(h) for h in ("When", "Alert", "Message", "Owner"))
    return Section(words.t("Alerts"), (Rows(rows, headings, (0.18, 0.18, 0.46, 0.18)),) if rows else (),
                   words.t("No alert was raised."))


def outcome_section(facts: CaseFacts, words: Words) -> Section:
    at_stake, recovered = abs(facts.at_stake_minor), abs(facts.recovered_minor)
    rate = f"{recovered / at_stake:.0%}" if at_stake else NOTHING
    confirmed = sum(1 for action in facts.actions if action.confirmed_at is not None)
    return Section(words.t("Outcome"), (_pairs(words, [
        ("State", words.code(facts.state)),
        ("Amount at stake", words.money(at_stake, facts.currency)),
        ("Amount recovered", words.money(recovered, facts.currency)),
        ("Still outstanding", words.money(max(at_stake - recovered, 0), facts.currency)),
        ("Recovery rate", rate),
        ("Confirmed recovery actions", f"{confirmed} / {len(facts.actions)}"),
        ("Closed", words.when(facts.closed_at)),
    ]),))


def report_sections(facts: CaseFacts, words: Words) -> list[Section]:
    """Time, place, people, the transactions, the cause, the measures, communications and the outcome."""
    return [case_section(facts, words), place_section(facts, words), people_section(facts, words),
            transactions_section(facts, words), finding_section(facts, words), timeline_section(facts, words),
            communications_section(facts, words), actions_section(facts, words), alerts_section(facts, words),
            outcome_section(facts, words)]
