"""Which torch operations an exercise dispatches, and whether the worker's machinery was touched.

Worker side: runs in the worker (and in the grader itself only under ``--no-sandbox``). Best
effort by nature: the worker is the student's process, so code that sets out to blind this
recorder can; what it reports is evidence the trusted side weighs, never a proof of innocence.

- :class:`Recorder` watches one test. The trusted side sends it the forbidden patterns of the
  exercises the test is about (``course.toml``); while a request is served, a
  :class:`torch.overrides.TorchFunctionMode` sees every torch function, ``Tensor`` method and
  ``nn.functional`` call (``nn.Sigmoid()(z)`` is seen as ``torch.sigmoid``). An op whose
  names match a pattern is attributed by the Python stack. It is the submission's if the
  submission's code (its cells' files) called it, directly or through torch's thin layers
  (the functional API, a layer's ``forward``) or other libraries' helpers; not if torch made it
  for an allowed call (``nn.Linear`` initialising its weights), nor if the grader did (a
  probe's reference loss, the library ops a probe runs on the student's model). Walking on
  outward up to the first frame of the grader, each exercise whose code (its function, the
  methods of its class and its student-written bases, what they define inside) is on the
  stack gets the op.
- :func:`seal` snapshots, before any student code runs, the objects this check and the worker
  rely on (``torch.overrides``, the function-mode stack's functions, the server, the probes,
  the seeding functions); :func:`tampering` says which of them were replaced since. The
  recorder also notices its mode removed or replaced, a foreign mode left installed, and
  torch-function dispatch switched off.
"""

import importlib
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any

import torch
import torch.overrides

_C = torch._C
# Captured once, at import (in the zygote): what the recorder itself calls.
_push = _C._push_on_torch_function_stack
_pop = _C._pop_torch_function_stack
_stack_len = _C._len_torch_function_stack
_stack_at = _C._get_function_stack_at
_enabled = _C._is_torch_function_enabled
_resolve = torch.overrides.resolve_name
_getframe = sys._getframe

GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
# torch's thin layers over its ops: what a student's call passes through on its way to one.
_THIN_FILES = {
    os.path.join(TORCH_DIR, *name)
    for name in (("overrides.py",), ("functional.py",), ("_tensor.py",), ("nn", "functional.py"))
}
_THIN_MODULE_CODE = {"forward", "_call_impl", "_wrapped_call_impl", "_conv_forward"}
_MODULES_DIR = os.path.join(TORCH_DIR, "nn", "modules") + os.sep
MAX_RECORDS = 20  # forbidden ops and tampering notes kept per test
MAX_TEXT = 300  # characters of one note


class _Watch(torch.overrides.TorchFunctionMode):
    """The mode: hands every dispatched torch function to its recorder, then runs it."""

    def __init__(self, recorder: "Recorder") -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_function__(self, func, types, args=(), kwargs=None):
        recorder = self.recorder
        try:
            try:
                hits = recorder.hits[func]
            except KeyError:
                hits = recorder.hits[func] = recorder.classify(func)
            except TypeError:  # an unhashable callable: classified every time
                hits = recorder.classify(func)
            if hits:
                recorder.attribute(hits, _getframe(1))
        except Exception as exc:  # the recorder's failure must never become the student's
            recorder.note(f"the recorder failed: {type(exc).__name__}")
        return func(*args, **(kwargs or {}))


class Recorder:
    """Forbidden torch ops per exercise and tampering notes, for one worker (one test).

    Args:
        student_files: the file names of the submission's cells (frames that are the
            student's).
    """

    def __init__(self, student_files: set[str]) -> None:
        self.student_files = student_files
        self.rules: dict[tuple[str, str], tuple[str, ...]] = {}
        self.codes: dict[types.CodeType, set[tuple[str, str]]] = {}
        self.hits: dict[Any, tuple] = {}
        self.forbidden: dict[tuple[str, str], dict] = {}
        self.notes: list[str] = []
        self.mode = _Watch(self)

    # ------------------------------------------------------------------ configuration

    def watch(self, forbid: dict) -> None:
        """Watch these exercises: ``{module: {exercise: [patterns]}}`` (from the grader)."""
        self.rules = {
            (str(module), str(exercise)): tuple(str(p) for p in patterns)
            for module, exercises in dict(forbid).items()
            for exercise, patterns in dict(exercises).items()
        }
        self.hits.clear()
        self.codes = {}
        for key in self.rules:
            module = sys.modules.get(key[0])
            obj = vars(module).get(key[1]) if isinstance(module, types.ModuleType) else None
            for code in _exercise_codes(obj, self.student_files):
                self.codes.setdefault(code, set()).add(key)
        self.note_all(tampering())

    # ------------------------------------------------------------------ recording

    def classify(self, func: Any) -> tuple:
        """``(exercise key, op name, pattern)`` for every watched exercise ``func`` breaks."""
        if not self.rules:
            return ()
        names = op_names(func)
        found = []
        for key, patterns in self.rules.items():
            match = next(((n, p) for p in patterns for n in names if fnmatchcase(n, p)), None)
            if match:
                found.append((key, *match))
        return tuple(found)

    def attribute(self, hits: tuple, frame: types.FrameType | None) -> None:
        """Record each hit whose exercise runs on the student's stretch of the stack."""
        keys, where = self._student_stretch(frame)
        for key, name, pattern in hits:
            if key in keys and key not in self.forbidden and len(self.forbidden) < MAX_RECORDS:
                self.forbidden[key] = {
                    "module": key[0],
                    "exercise": key[1],
                    "op": name,
                    "pattern": pattern,
                    "where": where,
                }

    def _student_stretch(self, frame: types.FrameType | None) -> tuple[set, str]:
        """The watched exercises running between this op and the nearest grader frame, and
        where the innermost student frame is (``file, line N``).

        Between the op and the submission's innermost frame only torch's thin layers may run
        (the functional API, ``Tensor``'s Python methods, a layer's ``forward``): an op that
        torch itself dispatches for an allowed call (``nn.Linear(...)`` initialising its
        weights with ``torch.nn.init``) is the library's, as the static rule sees it.
        """
        while frame is not None and frame.f_code.co_filename not in self.student_files:
            filename = frame.f_code.co_filename
            if filename.startswith(GRADER_DIR):
                return set(), ""  # a probe or the server called it: the grader's own op
            if filename.startswith(TORCH_DIR) and not _thin(frame.f_code):
                return set(), ""
            frame = frame.f_back
        keys: set = set()
        where = f"{frame.f_code.co_filename}, line {frame.f_lineno}" if frame else ""
        while frame is not None and not frame.f_code.co_filename.startswith(GRADER_DIR):
            keys.update(self.codes.get(frame.f_code, ()))
            frame = frame.f_back
        return keys, where

    @contextmanager
    def watching(self, label: str) -> Iterator[None]:
        """Serve one request with the mode installed (when there is anything to watch)."""
        if not self.rules:
            yield
            return
        if not _enabled():
            self.note("torch function dispatch was switched off (torch._C.DisableTorchFunction)")
        if _stack_len():
            self.note("a torch function mode of the submission was left installed")
        _push(self.mode)
        try:
            yield
        finally:
            self._restore(label)

    def _restore(self, label: str) -> None:
        """Take the mode off again; anything else on the stack means it was tampered with."""
        depth = _stack_len()
        if depth and _stack_at(depth - 1) is self.mode:
            _pop()
            return
        self.note(f"the dispatch recorder was removed or replaced while serving {label}")
        while _stack_len():
            if _pop() is self.mode:
                break

    # ------------------------------------------------------------------ reporting

    def note(self, text: str) -> None:
        text = text[:MAX_TEXT]
        if text not in self.notes and len(self.notes) < MAX_RECORDS:
            self.notes.append(text)

    def note_all(self, texts: list[str]) -> None:
        for text in texts:
            self.note(text)

    def report(self) -> dict:
        """``{"forbidden": [{module, exercise, op, pattern, where}], "tampering": [text]}``."""
        self.note_all(tampering())
        return {"forbidden": list(self.forbidden.values()), "tampering": list(self.notes)}


def _thin(code: types.CodeType) -> bool:
    """Whether a torch frame is one of the thin layers between a call and its op."""
    if code.co_filename in _THIN_FILES:
        return True
    return code.co_filename.startswith(_MODULES_DIR) and code.co_name in _THIN_MODULE_CODE


# ----------------------------------------------------------------------------- op names


def op_names(func: Any) -> tuple[str, ...]:
    """The dotted names a torch function is known by: ``torch.sigmoid``,
    ``torch.Tensor.sigmoid``, ``torch.nn.functional.binary_cross_entropy`` ..."""
    names = []
    try:
        names.append(_resolve(func))
    except Exception:
        pass
    names += _public_names().get(id(func), [])
    qualname = getattr(func, "__qualname__", None)
    module = getattr(func, "__module__", None)
    if isinstance(qualname, str) and isinstance(module, str):
        names.append(f"{module}.{qualname}")
    return tuple(dict.fromkeys(n for n in names if isinstance(n, str) and n))


_PUBLIC: dict[int, list[str]] = {}
_NAMESPACES = (
    "torch",
    "torch.nn.functional",
    "torch.special",
    "torch.linalg",
    "torch.fft",
    "torch.nn.init",
)


def _public_names() -> dict[int, list[str]]:
    """id -> the public names of every function of torch's main namespaces (built once)."""
    if not _PUBLIC:
        for namespace in _NAMESPACES:
            module = sys.modules.get(namespace)
            for attr, value in vars(module).items() if module else ():
                if callable(value) and not isinstance(value, type):
                    _PUBLIC.setdefault(id(value), []).append(f"{namespace}.{attr}")
        for attr, value in vars(torch.Tensor).items():
            _PUBLIC.setdefault(id(value), []).append(f"torch.Tensor.{attr}")
    return _PUBLIC


# ----------------------------------------------------------------------------- exercise code


def _exercise_codes(obj: Any, student_files: set[str]) -> Iterator[types.CodeType]:
    """The code objects of an exercise: a function's (and what it defines inside), or every
    student-written method of a class and of its student-written bases. Only plain class
    dictionaries are read: no student code runs here."""
    if isinstance(obj, type):
        for klass in type.__dict__["__mro__"].__get__(obj):
            for value in type.__dict__["__dict__"].__get__(klass).values():
                yield from _function_codes(value, student_files)
    else:
        yield from _function_codes(obj, student_files)


def _function_codes(
    value: Any, student_files: set[str], depth: int = 0
) -> Iterator[types.CodeType]:
    """A function's code if the submission wrote it, and that of what it wraps (a decorator's
    ``__wrapped__`` or closure, e.g. ``@torch.no_grad()``)."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        for part in (value.fget, value.fset, value.fdel):
            yield from _function_codes(part, student_files, depth)
        return
    if not isinstance(value, types.FunctionType) or depth > 4:
        return
    if value.__code__.co_filename in student_files:
        yield from _nested(value.__code__)
    inner = [value.__dict__.get("__wrapped__")]
    for cell in value.__closure__ or ():
        try:
            inner.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    for function in inner:
        yield from _function_codes(function, student_files, depth + 1)


def _nested(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested(const)


# ----------------------------------------------------------------------------- tampering

_SEALED: list[tuple[str, dict, str, Any]] = []  # (label, namespace, key, the object it held)

# What the checks rely on, by module: every function and class they hold.
_WATCHED_MODULES = (
    "torch.overrides",
    "torch.utils._python_dispatch",
    "torchgrade.worker.dispatch",
    "torchgrade.worker.server",
    "torchgrade.worker.loader",
    "torchgrade.protocol",
    "torchgrade.framing",
)
# ... and single objects: the mode stack's functions and the seeding machinery.
_WATCHED_NAMES = {
    "torch._C": (
        "_push_on_torch_function_stack",
        "_pop_torch_function_stack",
        "_len_torch_function_stack",
        "_get_function_stack_at",
        "_is_torch_function_enabled",
        "_is_torch_function_mode_enabled",
        "DisableTorchFunction",
        "DisableTorchFunctionSubclass",
    ),
    "torch": ("manual_seed", "seed", "initial_seed"),
    "torch.random": ("manual_seed", "fork_rng", "get_rng_state", "set_rng_state"),
    "numpy.random": ("seed",),
    "random": ("seed",),
}


def seal(homeworks: list[str] | tuple[str, ...] = ()) -> None:
    """Remember the objects the recorder, the server and the probes rely on.

    Called before any student code runs (the loader calls it first), once per process; the
    workers forked afterwards share what it builds. The homeworks' own probe modules
    (``torchgrade.probes.<id>``) are imported now, so that they are sealed too.
    """
    if _SEALED:
        return
    for homework in homeworks:
        try:
            importlib.import_module(f"torchgrade.probes.{homework}")
        except ImportError:
            pass
    # The first optimizer imports torch._dynamo, which wraps torch.manual_seed: have that
    # done first (the zygote has; under --no-sandbox the grader may not have yet).
    import torch._dynamo

    # torch's table of names (~70 ms to build) and ours, once here rather than in every worker.
    _resolve(torch.sigmoid)
    _public_names()

    names = list(_WATCHED_MODULES)
    names += [
        n for n in sys.modules if n == "torchgrade.probes" or n.startswith("torchgrade.probes.")
    ]
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            continue
        _SEALED.append((f"sys.modules[{name!r}]", sys.modules, name, module))
        for key, value in list(vars(module).items()):
            if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
                _SEALED.append((f"{name}.{key}", vars(module), key, value))
                if isinstance(value, type) and value.__module__ == name:
                    for attr, member in list(vars(value).items()):
                        if isinstance(member, types.FunctionType):
                            label = f"{name}.{key}.{attr}"
                            _SEALED.append((label, _ClassDict(value), attr, member))
    for name, keys in _WATCHED_NAMES.items():
        module = sys.modules.get(name)
        for key in keys if module is not None else ():
            if key in vars(module):
                _SEALED.append((f"{name}.{key}", vars(module), key, vars(module)[key]))
    _KNOWN_MODULES.update(n for n in sys.modules if n.startswith(_GRADER_MODULES))


class _ClassDict:
    """A class's namespace read like a dict (its ``__dict__`` is a read-only view)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def get(self, key: str, default: Any = None) -> Any:
        return type.__dict__["__dict__"].__get__(self.cls).get(key, default)


_MISSING = object()
# The grader's modules loaded at seal time; the probes are the one kind a test imports later.
_GRADER_MODULES = ("torchgrade.", "solutions")
_KNOWN_MODULES: set[str] = set()
_LATER_MODULES = (
    "torchgrade.probes",
    "torchgrade.expect",
)  # what a test or a probe may import later


def tampering() -> list[str]:
    """What was replaced, removed or monkey-patched since :func:`seal`, and which of the
    grader's own modules were imported since (by the submission: tests import only probes)."""
    if not _SEALED:
        return []
    notes = [
        f"{label} was replaced or removed"
        for label, namespace, key, value in _SEALED
        if namespace.get(key, _MISSING) is not value
    ]
    if "torchgrade.grading" in sys.modules:
        return notes  # --no-sandbox: this is the grader's process, its imports are its own
    for name in list(sys.modules):
        if name.startswith(_GRADER_MODULES) and name not in _KNOWN_MODULES:
            if not name.startswith(_LATER_MODULES):
                notes.append(f"the grader's module {name} was imported in the worker")
    return notes


def instance_tampering(server: Any, cls: type, fields: set[str]) -> list[str]:
    """The server object swapped for another class, or given attributes of its own that
    shadow its methods."""
    notes = []
    if type(server) is not cls:
        notes.append(f"the worker's server was replaced by a {type(server).__name__}")
    extra = set(object.__getattribute__(server, "__dict__")) - fields
    if extra:
        notes.append(f"the worker's server was given attributes {sorted(extra)[:5]}")
    return notes
