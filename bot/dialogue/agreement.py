"""The start-up check that the domain, the registered actions and the policy agree.

Adding an intent with a form touches the domain, the rules, the responses and an actions module; a
name that does not line up (a form without its submit action, an action the domain lists but nobody
registered, a rule naming a form that does not exist) would otherwise surface only when a resident
reaches it. The dialogue engine refuses to start instead, naming every disagreement at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.dialogue.domain import Domain
from bot.errors import ConfigurationError

# Actions the engine itself provides rather than an actions module.
_BUILT_IN = frozenset({"action_listen", "action_restart", "action_default_fallback"})


def disagreements(domain: Domain, actions: Collection[str], rules: Mapping[str, str]) -> list[str]:
    """Everything the domain, the registered action names and the policy's intent rules disagree on."""
    problems: list[str] = []
    known = set(actions) | _BUILT_IN
    for form in domain.forms.values():
        if form.submit_action not in known:
            problems.append(f"form {form.name} has no registered action {form.submit_action} "
                            "(it summarises, then files once the resident confirms)")
        for slot in form.required_slots:
            if slot not in domain.slot_names:
                problems.append(f"form {form.name} requires slot {slot}, which the domain does not define")
    for name in domain.actions:
        if name not in known and not domain.has_response(name):
            problems.append(f"the domain lists action {name}, but no action of that name is registered")
    for name in sorted(set(actions) - set(domain.actions)):
        if not name.startswith("validate_") and name not in _BUILT_IN:
            problems.append(f"action {name} is registered but not listed under `actions:` in the domain")
    intents = set(domain.raw.get("intents") or [])
    for intent, started in sorted(domain.form_intents.items()):
        if started not in domain.forms:
            problems.append(f"rules.yml starts form {started} on {intent}, but the domain has no such form")
        if intent not in intents:
            problems.append(f"rules.yml starts {started} on intent {intent}, which the domain does not list")
    for intent, target in sorted(rules.items()):
        if target not in known and not domain.has_response(target):
            problems.append(f"the policy answers {intent} with {target}, which is neither an action nor a response")
    return problems


def check_agreement(domain: Domain, actions: Collection[str], rules: Mapping[str, str]) -> None:
    """Raise ConfigurationError listing every disagreement (see `disagreements`)."""
    problems = disagreements(domain, actions, rules)
    if problems:
        raise ConfigurationError("the domain, the actions and the policy disagree:\n- " + "\n- ".join(problems))


__all__ = ["check_agreement", "disagreements"]
