"""What a user can do to the selected resource: run, fork, share, make public or
private, revoke, restore, delete, and open or fork a share token.

Each action is one store call (plus re-reading what it changed) wrapped by `action`, so
a failure lands in the status line and changes nothing the store did not change.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from .. import tokens
from ..diffs import diff_versions
from ..errors import TOKEN_REFUSED_MESSAGE, NameTaken, SecretFound, TokenRefused
from ..records import ResourceRecord
from ..templates import Parameter, parameter_list, render_prompt
from .state import BrowserProblem, Preview, QueryState, action


class BrowserState(QueryState):
    """BrowserState(store, shell=None): the query, a page of results, the selection,
    and the actions on it."""

    @action("Run")
    def run(self) -> bool:
        """Workflow: run in the user namespace (its parameters' defaults set first);
        prompt: render with its defaults; agent_config: show it. Counts a run that
        worked."""
        preview = self._current("run", own=True)
        record = preview.record
        if record.resource_type == "workflow":
            if self.shell is None:
                raise BrowserProblem(
                    "Running a workflow needs IPython: open the browser in a notebook."
                )
            from ..execute import execute

            values = _defaults(record, parameter_list(record.parameters))
            ran = execute(self.shell, record.content, values, live=False)
            outputs, ok = ran.outputs, ran.ok
        elif record.resource_type == "prompt":
            declared = parameter_list(record.parameters, record.content)
            text = render_prompt(record.content, _defaults(record, declared))
            outputs, ok = [_text_output(text)], True
        else:
            outputs, ok = [_json_output(record.content)], True
        self.run_outputs = tuple(outputs)
        if not ok:  # like %resource run: only a run that worked is counted
            error = next((o for o in outputs if o["output_type"] == "error"), None)
            what = error["ename"] if error else "an error"
            self.say(
                f"'{record.name}' raised {what} (see its output below), so this run "
                "was not counted.",
                "error",
            )
            return False
        count = self.store.record_execution(preview.ref)
        self._reread(preview)
        self.refresh()
        self.say(f"Ran '{record.name}' (run {count}).", "success")
        return ok

    @action("Fork")
    def fork(self, new_name: str = "") -> bool:
        """Copy the previewed resource into mine (through its token if opened so)."""
        preview = self._current("fork")
        copy = self._fork(preview.token or preview.ref, new_name)
        self._after_fork(copy, preview.record.qualified_name, preview.token is not None)
        return True

    @action("Fork")
    def fork_token(self, token: str, new_name: str = "") -> bool:
        """Fork straight from a pasted token (uses it once), without opening it."""
        copy = self._fork(self._token(token), new_name)
        self._after_fork(copy, "a share token", via_token=True)
        return True

    def _fork(self, source: str, new_name: str) -> ResourceRecord:
        name = new_name.strip() or None
        try:
            return self.store.fork(source, name)
        except NameTaken:
            raise BrowserProblem(
                f"You already have a resource named '{name}': type another name "
                "for the copy."
            ) from None

    def _after_fork(self, copy: ResourceRecord, source: str, via_token: bool) -> None:
        if self.scope != "mine":
            self.scope = "mine"  # the copy is private: show my resources
        self.refresh()
        self.select(str(copy.id))
        used = " (that used the share token once)" if via_token else ""
        self.say(f"Forked {source} as '{copy.name}', now yours{used}.", "success")

    @action("Share")
    def share(
        self, expires: str = "", max_uses: str = "", allow_secrets: bool = False
    ) -> bool:
        """A new token for the previewed resource; shown once in `new_share`. Refused
        when it looks like it holds a secret, unless allow_secrets."""
        preview = self._current("share", own=True)
        with _secrets_as_browser_problems():
            new = self.store.share(
                preview.ref,
                expires=expires.strip() or None,
                max_accesses=max_uses.strip() or None,
                allow_secrets=allow_secrets,
            )
        self.new_share = new
        if self.shares is not None:
            self.shares = tuple(self.store.shares(preview.ref))
        self.say(
            f"Shared '{preview.record.name}': copy the token now, it is shown only "
            "once.",
            "success",
        )
        return True

    @action("Public")
    def set_public(self, public: bool, allow_secrets: bool = False) -> bool:
        """Make the previewed resource public (refused when a version looks like it
        holds a secret, unless allow_secrets) or private again."""
        preview = self._current("change", own=True)
        with _secrets_as_browser_problems():
            record = self.store.update(
                preview.ref, is_public=public, allow_secrets=allow_secrets
            )
        self._reread(preview)
        self.refresh()
        if record.is_public:
            self.say(
                f"'{record.name}' is public: everyone using this database can see "
                "every version of it and fork it.",
                "success",
            )
        else:
            self.say(
                f"'{record.name}' is private: only you and holders of its share "
                "tokens can see it.",
                "success",
            )
        return True

    @action("Shares")
    def load_shares(self) -> bool:
        preview = self._current("list the shares of", own=True)
        self.shares = tuple(self.store.shares(preview.ref))
        return True

    @action("Revoke")
    def revoke(self, share_id: object) -> bool:
        """Revoke exactly the share with this id (a row of `shares`)."""
        preview = self._current("revoke shares of", own=True)
        revoked = self.store.revoke(str(share_id))
        self.shares = tuple(self.store.shares(preview.ref))
        self.say(
            f"Revoked {revoked.handle} ({revoked.prefix}\u2026) of "
            f"'{revoked.resource}': "
            "that token no longer opens anything.",
            "success",
        )
        return True

    @action("History")
    def load_history(self) -> bool:
        preview = self._current("see the history of", own=True)
        self.versions = tuple(self.store.history(preview.ref))
        return True

    @action("Restore")
    def restore(self, version: int) -> bool:
        preview = self._current("restore", own=True)
        record = self.store.restore(preview.ref, version)
        self._reread(preview)
        self.versions = tuple(self.store.history(preview.ref))
        self.refresh()
        self.say(
            f"Restored '{record.name}' to version {version}, saved as version "
            f"{record.version}.",
            "success",
        )
        return True

    @action("Diff")
    def diff_version(self, version: int) -> bool:
        """Compare `version` with the current one (shown in the History panel)."""
        preview = self._current("compare versions of", own=True)
        pair = self.store.versions(preview.ref, version)
        self.version_diff = diff_versions(pair, pair.resource.name)
        return True

    @action("Label")
    def set_label(self, label: str, version: int) -> bool:
        """Put `label` on `version` (moving it if it was elsewhere)."""
        preview = self._current("label", own=True)
        record, left = self.store.set_label(preview.ref, label, version)
        self.versions = tuple(self.store.history(preview.ref))
        moved = "" if left in (None, record.version) else f" (it was v{left})"
        self.say(
            f"'{preview.record.name}@{record.label}' is now v{record.version}{moved}.",
            "success",
        )
        return True

    @action("Delete")
    def delete(self) -> bool:
        preview = self._current("delete", own=True)
        name = self.store.delete(preview.ref)
        self._show_nothing()
        self.refresh()
        self.say(f"Deleted '{name}' and its history.", "success")
        return True

    @action("Open")
    def open_token(self, token: str) -> bool:
        """Preview a shared resource through its token (uses the token once)."""
        text = self._token(token)
        shared = self.store.open(text)
        record = shared.resource
        preview = Preview(
            record,
            shared.attachments,
            mine=record.owner == self.store.user,
            token=text,
            access_count=shared.access_count,
            max_accesses=shared.max_accesses,
        )
        self.selected_id = ""
        self._show(preview)
        limit = (
            f"use {shared.access_count} of {shared.max_accesses}"
            if shared.max_accesses is not None
            else f"use {shared.access_count}, no limit"
        )
        if preview.uses_left == 0:
            tail = (
                "That was its last use, so it cannot fork this: ask "
                f"{record.owner} for a new token."
            )
        else:
            tail = "Fork keeps a copy; forking uses the token once more."
        self.say(
            f"Opened {record.qualified_name} through a share token ({limit}). {tail}",
            "info",
        )
        return True

    # -- helpers ---------------------------------------------------------------------
    @staticmethod
    def _token(token: str) -> str:
        text = tokens.clean_token(token or "")
        if not text:
            raise BrowserProblem("Paste a share token (it starts with rmshr_) first.")
        if not text.startswith(tokens.TOKEN_PREFIX):
            # the store would read it as a resource name; here it can only be a token
            raise TokenRefused(TOKEN_REFUSED_MESSAGE)
        return text


@contextmanager
def _secrets_as_browser_problems():
    """The store's refusal, with the browser's way to go ahead (a checkbox)."""
    try:
        yield
    except SecretFound as exc:
        anyway = "tick 'Allow secrets' to go ahead anyway"
        if exc.old_version is not None:
            raise BrowserProblem(
                f"{exc.finding}, and a public resource shows its history: publish a "
                f"fork instead, or {anyway}."
            ) from None
        raise BrowserProblem(f"{exc.finding}: remove it, or {anyway}.") from None


def _text_output(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _json_output(value: object) -> dict:
    return {
        "output_type": "display_data",
        "data": {
            "application/json": value,
            "text/plain": json.dumps(value, indent=2, ensure_ascii=False),
        },
        "metadata": {"application/json": {"expanded": True}},
    }


def _defaults(record: ResourceRecord, declared: list[Parameter]) -> dict:
    """Every parameter's default; one without (a required one) stops the Run."""
    missing = [p.name for p in declared if p.required]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        flags = " ".join(f"-p {name}=VALUE" for name in missing)
        raise BrowserProblem(
            f"'{record.name}' has no default for {names}: run it with "
            f"`%resource run {record.name} {flags}`."
        )
    return {p.name: p.default for p in declared}
