"""``hybridwait wait``: a drop-in for ``kubectl wait`` backed by the hybrid engine.

Same flags, output lines, error lines and exit codes as kubectl (see docs/cli.md
for the parity table), plus ``--poll-interval`` and ``--no-watch``. The command
is a thin layer: flags become :meth:`hybridwait.Engine.wait` calls, exceptions
become kubectl's lines.

Example::

    $ hybridwait wait pod/web-0 --for=condition=Ready --timeout=60s
    pod/web-0 condition met
    $ hybridwait wait pods -l app=web --for=delete --timeout=1m30s -o name
    pod/web-1
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from hybridwait.cli.flags import Flag, FlagSet, add_pflag_command, parse_command_line
from hybridwait.cli.printers import Printer

if TYPE_CHECKING:
    from hybridwait.kube.objects import Manifest, ObjectState

__all__ = ["WAIT_FLAGS", "register", "run"]

log = logging.getLogger("hybridwait.cli.wait")

ONE_WEEK = 168 * 3600.0

WAIT_FLAGS = FlagSet(
    [
        Flag("all", "bool", False,
             "Select all resources in the namespace of the specified resource types"),
        Flag("any", "bool", False,
             "hybridwait only: end when any one of the repeated --for conditions holds (OR) "
             "instead of all of them (AND)."),
        Flag("all-namespaces", "bool", False,
             "If present, list the requested object(s) across all namespaces. Namespace in "
             "current context is ignored even if specified with --namespace.", shorthand="A"),
        Flag("context", "string", "", "The name of the kubeconfig context to use"),
        Flag("fail-for", "string_array", [],
             "hybridwait only: a condition (same forms as --for) that ends the wait with an "
             "error at once when it holds, e.g. --fail-for=condition=Failed on a Job, "
             "--fail-for=delete. Repeatable (any one ends it)."),
        Flag("field-selector", "string", "",
             "Selector (field query) to filter on, supports '=', '==', and '!='.(e.g. "
             "--field-selector key1=value1,key2=value2). The server only supports a limited "
             "number of field queries per type."),
        Flag("filename", "string_array", [],
             "identifying the resource: a manifest file, a directory of them (.json, .yaml, "
             ".yml) or - for stdin. Repeatable.", shorthand="f"),
        Flag("for", "string_array", [],
             "The condition to wait on: [create|delete|ready|condition=condition-name[="
             "condition-value]|jsonpath='{JSONPath expression}'=[JSONPath value]]. The "
             "default condition-value is true. Condition values are compared after Unicode "
             "simple case folding, which is a more general form of case-insensitivity. "
             "ready (hybridwait only) waits until the object is up by kstatus's rules and "
             "fails at once if it failed. Repeat it to wait for several conditions (all must "
             "hold, or any with --any)."),
        Flag("kubeconfig", "string", "", "Path to the kubeconfig file to use for CLI requests."),
        Flag("namespace", "string", "",
             "If present, the namespace scope for this CLI request", shorthand="n"),
        Flag("no-watch", "bool", False,
             "hybridwait only: never open a watch; re-check every --poll-interval with a "
             "direct GET/LIST (pure polling)."),
        Flag("output", "string", "", "Output format. One of: (json, yaml, name).",
             shorthand="o"),
        Flag("recursive", "bool", True,
             "Process the directory used in -f, --filename recursively. Useful when you want "
             "to manage related manifests organized within the same directory.", shorthand="R"),
        Flag("poll-interval", "duration", "5s",
             "hybridwait only: how often the polling fallback re-checks, as a Go duration "
             "(the watch wakes waiters at once whatever this is)."),
        Flag("selector", "string", "",
             "Selector (label query) to filter on, supports '=', '==', and '!='.(e.g. -l "
             "key1=value1,key2=value2)", shorthand="l"),
        Flag("timeout", "duration", "30s",
             "The length of time to wait before giving up. Zero means check once and don't "
             "wait, negative means wait for a week."),
    ]
)

_HELP = """\
Wait for a specific condition on one or many resources.

 The command takes multiple resources and waits until the specified condition is seen in the \
Status field of every given resource.

 Alternatively, the command can wait for the given set of resources to be created or deleted by \
providing the "create" or "delete" keyword as the value to the --for flag.

 A successful message will be printed to stdout indicating when the specified condition has \
been met. You can use -o option to change to output destination.

 hybridwait waits with one shared watch per resource and namespace, and re-checks every \
--poll-interval in case the watch misses something.

Examples:
  # Wait for the pod "busybox1" to contain the status condition of type "Ready"
  hybridwait wait --for=condition=Ready pod/busybox1

  # Wait for the pod "busybox1" to contain the status phase to be "Running"
  hybridwait wait --for=jsonpath='{{.status.phase}}'=Running pod/busybox1

  # Wait for every pod labelled app=web to be deleted, for at most 1m30s
  hybridwait wait --for=delete pods -l app=web --timeout=1m30s

  # Wait for a deployment to be Available with 3 ready replicas
  hybridwait wait deploy/api --for=condition=Available --for=jsonpath='{{.status.readyReplicas}}'=3

  # Wait until everything in app.yaml is up (kstatus readiness); fail at once if something fails
  hybridwait wait -f app.yaml --for=ready --timeout=5m

  # Wait for a Job to complete, failing as soon as it fails
  hybridwait wait job/pi --for=condition=Complete --fail-for=condition=Failed

  # Wait for a Job to be Complete or Failed, whichever comes first
  hybridwait wait job/pi --for=condition=Complete --for=condition=Failed --any

Options:
{flags}
Usage:
  hybridwait wait ([resource.group/resource.name | resource.group [(-l label | --all)]) \
[--for=create|--for=delete|--for=ready|--for condition=available|--for=jsonpath='{{}}'[=value]] \
[options]
"""

_NO_RESOURCES = """\
error: You must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'"""

class _Fail(Exception):
    """A kubectl error line (or lines) to print on stderr; exit code 1."""


@dataclass
class _Request:
    """What the command line asks for, after validation."""

    named: list[str] = field(default_factory=list)  # "TYPE/NAME" in kubectl's order
    types: list[str] = field(default_factory=list)  # list forms: TYPE with selector/--all
    selector: str | None = None
    field_selector: str | None = None
    all_namespaces: bool = False
    namespace: str = "default"


def register(subparsers: Any) -> None:
    """Add the ``wait`` subcommand; its arguments are parsed kubectl-style by :func:`run`."""
    add_pflag_command(
        subparsers,
        "wait",
        "wait for a condition on one or many resources (kubectl wait drop-in)",
        run,
    )


def run(argv: Sequence[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``hybridwait wait ARGV``; return the exit code (0 all met, 1 otherwise).

    Example::

        code = run(["pod/web-0", "--for=condition=Ready", "--timeout=10s"])
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parsed = parse_command_line(WAIT_FLAGS, argv, "wait", _HELP, out, err)
    if isinstance(parsed, int):
        return parsed
    values, args = parsed
    try:
        return _run(values, args, out, err)
    except _Fail as exc:
        err.write(f"{exc}\n")
        return 1
    except KeyboardInterrupt:
        return 1
    except Exception as exc:  # never a traceback for the user
        log.debug("wait failed", exc_info=True)
        err.write(_error_line(exc) + "\n")
        return 1


def _error_line(exc: BaseException) -> str:
    """kubectl's line for an exception raised by the engine or the kubeconfig loader."""
    from hybridwait.kube import errors

    if isinstance(exc, errors.ApiError):
        if exc.reason == "Unauthorized":
            return f"error: You must be logged in to the server ({exc.message})"
        return str(exc)
    if isinstance(exc, errors.ConnectionFailed):
        return _connection_line(exc)
    text = str(exc) or type(exc).__name__
    return text if text.startswith("error: ") else f"error: {text}"


def _connection_line(exc: BaseException) -> str:
    """kubectl's line for an unreachable server: "was refused" for a refused or
    reset connection, "Unable to connect to the server: context deadline
    exceeded" when the connection or the answer timed out (D9)."""
    cause = exc.__cause__
    if isinstance(cause, TimeoutError) or "Timeout" in str(cause or "").partition(":")[0]:
        return "Unable to connect to the server: context deadline exceeded"
    return str(exc)


def _check_conditions(fors: list[str], fail_fors: list[str], any_: bool) -> None:
    """``--for``, ``--fail-for`` and ``--any`` checked before anything is read."""
    from hybridwait.kube.conditions import check_fail_for, parse_for

    if not fors:
        raise _Fail('error: unrecognized condition: ""')
    for spec in fors:
        try:
            parse_for(spec)
        except ValueError as exc:
            raise _Fail(f"error: {exc}") from None
    for spec in fail_fors:
        try:
            parse_for(spec)
        except ValueError as exc:
            raise _Fail(f"error: --fail-for: {exc}") from None
        try:
            check_fail_for(fors, [spec])
        except ValueError as exc:
            raise _Fail(f"error: {exc}") from None
    if any_ and len(fors) < 2:
        raise _Fail("error: --any needs at least two --for conditions to choose from")


def _parse_resources(args: list[str], values: dict[str, Any], namespace: str) -> _Request:
    """Turn kubectl's resource arguments into named targets or list forms (kubectl's
    checks and wording, measured against kubectl 1.32)."""
    req = _Request(
        selector=str(values["selector"]) or None,
        field_selector=str(values["field-selector"]) or None,
        all_namespaces=bool(values["all-namespaces"]),
        namespace=namespace,
    )
    if not args:
        raise _Fail(_NO_RESOURCES)
    from hybridwait.kube.kubectl import ArgumentError, resource_args

    try:
        parsed = resource_args(
            args, selector=req.selector, field_selector=req.field_selector,
            all_=bool(values["all"]), all_namespaces=req.all_namespaces,
        )
    except ArgumentError as exc:
        raise _Fail(f"error: {exc}") from None
    req.named = [f"{kind}/{name}" for kind, name in parsed.named]
    req.types = parsed.types
    return req


def _run(values: dict[str, Any], args: list[str], out: TextIO, err: TextIO) -> int:
    # kubectl's order: printer, kubeconfig, --for, then the resource arguments.
    try:
        printer = Printer(str(values["output"]))
    except ValueError as exc:
        raise _Fail(f"error: {exc}") from None

    from hybridwait.kube import errors
    from hybridwait.kube.kubeconfig import load

    try:
        api_client, default_ns = load(
            str(values["kubeconfig"]) or None, str(values["context"]) or None
        )
    except errors.KubeconfigError as exc:
        raise _Fail(_error_line(exc)) from None

    fors: list[str] = list(values["for"])
    fail_fors: list[str] = list(values["fail-for"])
    _check_conditions(fors, fail_fors, bool(values["any"]))

    files: list[str] = list(values["filename"])
    manifests: list[Manifest] = []
    req = _Request()
    if files:
        manifests = _load_files(files, args, values)
    else:
        req = _parse_resources(args, values, str(values["namespace"]) or default_ns)
    timeout_ns = int(values["timeout"])
    timeout = ONE_WEEK if timeout_ns < 0 else timeout_ns / 1e9
    poll_interval = int(values["poll-interval"]) / 1e9
    if poll_interval <= 0:
        raise _Fail("error: --poll-interval must be greater than 0")

    from hybridwait.cli.signals import cancel_on_signals
    from hybridwait.kube.engine import Engine

    engine_opts: dict[str, Any] = {"api_client": api_client, "poll_interval": poll_interval}
    if values["no-watch"]:
        engine_opts["watch"] = False
    conds = _Conditions(fors, fail_fors, bool(values["any"]))
    with cancel_on_signals() as ctx:
        eng = Engine(**engine_opts)
        try:
            if manifests:
                ns = str(values["namespace"]) or default_ns
                return _FileWait(eng, conds, ctx, timeout, printer, out, err).run(manifests, ns)
            return _Visitor(eng, conds, ctx, timeout, printer, out).run(req, err)
        finally:
            try:
                eng.close()
                api_client.close()  # the engine does not own a client it was given
            except Exception:  # the outcome is already decided; closing is best effort
                log.debug("engine close failed", exc_info=True)


@dataclass(frozen=True)
class _Conditions:
    """What ``--for``, ``--fail-for`` and ``--any`` ask of every object."""

    fors: list[str]
    fail_fors: list[str]
    any_: bool

    def wait_options(self) -> dict[str, Any]:
        """``for_`` (and ``fail_for`` when given) for the engine."""
        from hybridwait.kube.conditions import any_of

        opts: dict[str, Any] = {"for_": any_of(*self.fors) if self.any_ else self.fors}
        if self.fail_fors:
            opts["fail_for"] = self.fail_fors
        return opts

    @property
    def lines_per_object(self) -> int:
        """kubectl >= 1.34 prints the line once per ``--for``; ``--any`` once."""
        return 1 if self.any_ else len(self.fors)

    @property
    def is_delete(self) -> bool:
        return any(f.lower() == "delete" for f in self.fors)

    @property
    def is_create_only(self) -> bool:
        """Every ``--for`` is ``create`` (and no ``--fail-for``): kubectl's own path."""
        return not self.fail_fors and all(f.lower() == "create" for f in self.fors)

    @property
    def is_ready(self) -> bool:
        return any(f.lower() == "ready" for f in self.fors)


def _load_files(files: list[str], args: list[str], values: dict[str, Any]) -> list[Manifest]:
    """``-f``: every object of the manifests, or kubectl's error before any wait."""
    from hybridwait.kube.objects import ManifestError, load_manifests

    if args:
        raise _Fail("error: resource/name arguments cannot be provided when a path is specified")
    if values["selector"] or values["field-selector"]:
        raise _Fail("error: -l/--selector and --field-selector cannot be used with -f/--filename")
    if values["all-namespaces"]:
        raise _Fail("error: -A/--all-namespaces cannot be used with -f/--filename")
    try:
        manifests = load_manifests(files, recursive=bool(values["recursive"]))
    except ManifestError as exc:
        raise _Fail(f"error: {exc}") from None
    if not manifests:  # empty files or directories: kubectl's text
        raise _Fail("error: no matching resources found")
    return manifests


@dataclass
class _Failure:
    """One failed object: kubectl prints ``single`` when it is the only error,
    ``multi`` (no ``error: `` prefix) for each of several."""

    single: str
    multi: str


class _Visitor:
    """kubectl's visit: objects one by one in its order, one shared deadline, errors
    collected and printed at the end (kubectl's ContinueOnError aggregate)."""

    def __init__(self, eng: Any, conds: _Conditions, ctx: Any, timeout: float,
                 printer: Printer, out: TextIO) -> None:
        self.eng = eng
        self.conds = conds
        self.ctx = ctx
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.printer = printer
        self.out = out
        self.is_delete = conds.is_delete

    def _plural(self, arg: str) -> str:
        kind = arg.partition("/")[0]
        resolve = getattr(self.eng, "resolve", None)
        if resolve is None:
            return kind
        return str(resolve(kind).plural)

    def _timed_out(self, arg: str) -> _Failure:
        from hybridwait.kube.kubectl import timeout_text

        name = f"{self._plural(arg)}/{arg.partition('/')[2]}"
        text = timeout_text(name, checked_once=self.timeout == 0)
        return _Failure(f"error: {text}", text)

    def run(self, req: _Request, err: TextIO) -> int:
        from hybridwait.core import Canceled

        try:
            if req.named:
                for arg in req.named:  # unknown types fail before anything is waited on
                    self._plural(arg)
                if self.conds.is_create_only and not self._all_created(req):
                    # kubectl 1.32 first waits until every named object exists, then
                    # visits them; at the deadline it prints only Go's bare text
                    err.write("error: timed out waiting for the condition\n")
                    return 1
                targets = [(arg, req.namespace) for arg in req.named]
            else:
                listed = self._list(req)
                if listed is None:
                    return self._wait_all_at_once(req)
                targets = listed
                if not targets:
                    if self.is_delete:
                        return 0
                    raise _Fail("error: no matching resources found")
            failures = [f for f in (self._visit(a, ns) for a, ns in targets) if f]
        except Canceled:
            return 1
        if len(failures) == 1:
            err.write(failures[0].single + "\n")
        else:
            for f in failures:
                err.write(f.multi + "\n")
        return 1 if failures else 0

    def _all_created(self, req: _Request) -> bool:
        """``--for=create`` on named objects: wait until all exist (kubectl's first
        phase), so a missing one leaves no ``condition met`` line for the others."""
        from hybridwait.core import WaitTimeout

        try:
            self.eng.wait(list(req.named), for_="create", namespace=req.namespace or None,
                          timeout=self._remaining(), ctx=self.ctx)
        except WaitTimeout:
            return False
        return True

    def _list(self, req: _Request) -> list[tuple[str, str]] | None:
        lister = getattr(self.eng, "list", None)
        if lister is None:
            return None
        targets: list[tuple[str, str]] = []
        for kind in req.types:
            objs = lister(kind, namespace=None if req.all_namespaces else req.namespace,
                          selector=req.selector, field_selector=req.field_selector,
                          all_namespaces=req.all_namespaces)
            for obj in objs:
                meta = obj.get("metadata") or {}
                targets.append((f"{kind}/{meta.get('name')}", meta.get("namespace") or ""))
        return targets

    def _remaining(self) -> float:
        return 0.0 if self.timeout == 0 else max(self.deadline - time.monotonic(), 1e-3)

    def _visit(self, arg: str, namespace: str) -> _Failure | None:
        from hybridwait.core import WaitTimeout
        from hybridwait.kube import errors

        if self.timeout > 0 and time.monotonic() >= self.deadline:
            return self._timed_out(arg)  # kubectl: the shared context has expired
        try:
            obj = self.eng.wait(arg, namespace=namespace or None, timeout=self._remaining(),
                                ctx=self.ctx, **self.conds.wait_options())
        except errors.NotFound as exc:
            if self.is_delete:
                return None
            text = self._namespace_missing(namespace) or str(exc)
            return _Failure(text, text)
        except WaitTimeout:
            return self._timed_out(arg)
        except errors.ApiError as exc:
            return _Failure(str(exc), str(exc))
        except errors.ConnectionFailed as exc:
            return _Failure(_connection_line(exc), _connection_line(exc))
        except errors.KubeError as exc:
            return _Failure(_error_line(exc), str(exc))
        self._emit(obj)
        return None

    def _namespace_missing(self, namespace: str) -> str | None:
        """kubectl, after a NotFound, reports a missing namespace instead of the object."""
        from hybridwait.core import WaitTimeout
        from hybridwait.kube import errors

        if not namespace:
            return None
        try:
            self.eng.wait(f"namespaces/{namespace}", for_="create", timeout=0, ctx=self.ctx)
        except errors.NotFound as exc:
            return str(exc)
        except WaitTimeout:  # checked once: it does not exist
            return f'Error from server (NotFound): namespaces "{namespace}" not found'
        except Exception:  # the object's own NotFound is the answer then
            log.debug("namespace check failed", exc_info=True)
        return None

    def _emit(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        for _ in range(self.conds.lines_per_object):
            self.out.write(self.printer.format(obj))
        self.out.flush()

    def _wait_all_at_once(self, req: _Request) -> int:
        """Fallback when the engine cannot list: one wait over every match."""
        opts: dict[str, Any] = {"ctx": self.ctx, **self.conds.wait_options()}
        if req.selector:
            opts["selector"] = req.selector
        if req.field_selector:
            opts["field_selector"] = req.field_selector
        if req.all_namespaces:
            opts["all_namespaces"] = True
        else:
            opts["namespace"] = req.namespace
        from hybridwait.core import WaitTimeout

        for kind in req.types:
            try:
                objs = self.eng.wait(kind, timeout=self._remaining(), **opts)
            except WaitTimeout as exc:
                raise _Fail(f"error: {exc}") from None
            for obj in objs if isinstance(objs, list) else [objs]:
                self._emit(obj)
        return 0


class _FileWait:
    """``-f``: every object of the manifests waited on at once (one engine, shared
    watches, one deadline). A ``condition met`` line per object in manifest order
    as soon as it and every one before it are met; the rest of the met ones at the
    end; then the errors. A multi-object wait shows a live status board on stderr
    when stderr is a terminal."""

    def __init__(self, eng: Any, conds: _Conditions, ctx: Any, timeout: float,
                 printer: Printer, out: TextIO, err: TextIO) -> None:
        from hybridwait.cli.progress import StatusBoard

        self.eng = eng
        self.conds = conds
        self.ctx = ctx
        self.timeout = timeout
        self.printer = printer
        self.out = out
        self.err = err
        self.board = StatusBoard(err)
        self.printed: set[int] = set()
        self.next = 0  # the first object (in order) not printed yet
        self.states: list[ObjectState] = []

    def _print(self, state: ObjectState) -> None:
        if state.index in self.printed or state.object is None:
            return
        self.printed.add(state.index)
        for _ in range(self.conds.lines_per_object):
            self.out.write(self.printer.format(state.object))
        self.out.flush()

    def progress(self, states: Sequence[ObjectState]) -> None:
        """Called by :func:`wait_objects` in this thread while it waits."""
        self.states = list(states)
        ready: list[ObjectState] = []
        while self.next < len(self.states) and self.states[self.next].done:
            ready.append(self.states[self.next])
            self.next += 1
        if ready:
            self.board.clear()
            for st in ready:
                self._print(st)
        if len(self.states) > 1:
            self.board.update(self.states)

    def _flush_met(self) -> None:
        self.board.close()
        for st in self.states:
            if st.done:
                self._print(st)

    def run(self, manifests: list[Manifest], namespace: str) -> int:
        from hybridwait.core import Canceled
        from hybridwait.kube import errors
        from hybridwait.kube.objects import ObjectsTimeout, wait_objects

        try:
            wait_objects(self.eng, manifests, namespace=namespace, timeout=self.timeout,
                         ctx=self.ctx, progress=self.progress, **self.conds.wait_options())
        except Canceled:
            self.board.close()
            return 1
        except ObjectsTimeout as exc:
            self._flush_met()
            lines = [self._timeout_text(st) for st in exc.states]
            if len(lines) == 1:
                self.err.write(f"error: {lines[0]}\n")
            else:
                self.err.write("".join(line + "\n" for line in lines))
            return 1
        except errors.ApiError as exc:
            self._flush_met()
            self.err.write(f"{exc}\n")
            return 1
        except errors.ConnectionFailed as exc:
            self._flush_met()
            self.err.write(_connection_line(exc) + "\n")
            return 1
        except (errors.KubeError, ValueError) as exc:
            self._flush_met()
            self.err.write(_error_line(exc) + "\n")
            return 1
        self._flush_met()
        return 0

    def _timeout_text(self, state: ObjectState) -> str:
        from hybridwait.kube.kubectl import timeout_text

        text = timeout_text(state.resource, checked_once=self.timeout == 0)
        if self.conds.is_ready:  # hybridwait-only wait: say why it is not up
            text += f" ({state.status})"
        return text
