"""Loading a submission: a notebook, a ``.py`` module, a folder of them, or a zip.

Every input becomes, per homework, the list of cells to execute (the IMPORTS cell, then
one cell per exercise) and the problems found on the way, keyed by exercise: a missing,
duplicated or unparsable cell. Nothing here executes student code: sources are only read,
parsed by ``compile`` and ``ast``, and handed to the worker as text.
"""

import ast
import difflib
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from torchgrade.cells import (
    Chunk,
    LooseMarker,
    Marker,
    find_loose_marker,
    find_marker,
    near_marker,
    split_module,
)
from torchgrade.course import Course, CourseError, Homework
from torchgrade.errors import GraderError
from torchgrade.rules import MAX_AST_DEPTH, too_deep
from torchgrade.specs import CellSpec

MAX_FILE_BYTES = 20 << 20
MAX_ZIP_BYTES = 200 << 20
MAX_ZIP_FILES = 2000
MAX_ZIP_DEPTH = 16  # folders inside a zip (or a submitted folder) that are read
MAX_NAME_BYTES = 255  # one path component, as file systems allow
IMPORTS = "imports"
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git"}
_MAGIC = re.compile(r"^(\s*)([%!].*)$")


class SubmissionError(GraderError, ValueError):
    """The submission cannot be read at all (no file, nothing recognisable)."""


@dataclass
class LoadedModule:
    """One homework of a submission, ready for the worker.

    Attributes:
        homework: the homework id, e.g. ``hw1_basics``.
        origin: the file it came from, as shown to the student.
        cells: what the worker executes, in order.
        problems: exercise name -> why it cannot be graded (missing cell, syntax error, ...).
        notes: remarks that cost nothing (a removed magic, a fallback import cell, ...).
    """

    homework: str
    origin: str
    cells: list[CellSpec] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Submission:
    """A whole submission: the homeworks found in it, and remarks about what was skipped."""

    path: str
    modules: dict[str, LoadedModule]
    notes: list[str] = field(default_factory=list)


def load_submission(path: Path | str, course: Course) -> Submission:
    """Read a notebook, a ``.py`` file, a folder or a zip into a :class:`Submission`.

    Raises:
        SubmissionError: the path does not exist or holds nothing recognisable.
    """
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"no such file or folder: {path}")
    if path.is_dir():
        return _load_folder(path, course, shown=path)
    if path.suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="torchgrade-zip-") as tmp:
            notes = _extract_zip(path, Path(tmp))
            try:
                submission = _load_folder(Path(tmp), course, shown=path)
            except SubmissionError as exc:  # say what was skipped: it may be why
                raise SubmissionError("; ".join([str(exc), *notes[:5]])) from None
        submission.notes[:0] = notes
        return submission
    module = _load_file(path, course, shown=path.name, single=True)
    if module is None:
        raise SubmissionError(
            f"{path.name} is not a notebook or module of this course's assignments "
            f"(expected one of: {', '.join(h.id for h in course.homeworks)})"
        )
    if "*" in module.problems:  # nothing in it can be graded: say why once, grade nothing
        raise SubmissionError(module.problems["*"])
    return Submission(str(path), {module.homework: module})


# ----------------------------------------------------------------------------- containers


def _load_folder(folder: Path, course: Course, shown: Path) -> Submission:
    found: dict[str, list[LoadedModule]] = {}
    notes = []
    for file in sorted(_walk(folder)):
        if file.suffix not in (".ipynb", ".py"):
            continue
        relative = str(file.relative_to(folder))
        module = _load_file(file, course, shown=relative)
        if module is None:
            if file.suffix == ".ipynb":
                notes.append(f"{relative}: not a notebook of this course's homeworks; ignored")
            continue
        found.setdefault(module.homework, []).append(module)
    modules = {hw: _pick(candidates, notes) for hw, candidates in found.items()}
    if not modules:
        raise SubmissionError(
            f"{shown}: no notebook or module of this course's assignments found "
            f"(expected e.g. {course.homeworks[0].id}.ipynb)"
        )
    if all("*" in m.problems for m in modules.values()):
        raise SubmissionError("; ".join(m.problems["*"] for m in modules.values()))
    return Submission(str(shown), modules, notes)


def _walk(folder: Path):
    """Every regular file under ``folder``, without links, hidden or skipped folders; folders
    deeper than ``MAX_ZIP_DEPTH`` are not entered (no recursion: any depth is safe)."""
    stack = [(folder, 0)]
    while stack:
        current, depth = stack.pop()
        try:
            entries = list(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink() or entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
                continue
            if entry.is_dir():
                if depth < MAX_ZIP_DEPTH:
                    stack.append((entry, depth + 1))
            elif entry.is_file():
                yield entry


def _pick(candidates: list[LoadedModule], notes: list[str]) -> LoadedModule:
    """One module per homework: a notebook wins over a ``.py``; two of a kind is ambiguous."""
    notebooks = [m for m in candidates if m.origin.endswith(".ipynb")]
    chosen = notebooks or candidates
    if len(chosen) > 1:
        names = ", ".join(m.origin for m in chosen)
        module = LoadedModule(chosen[0].homework, names)
        module.problems["*"] = (
            f"found {len(chosen)} files for {module.homework} ({names}): submit one"
        )
        return module
    skipped = [m.origin for m in candidates if m is not chosen[0]]
    if skipped:
        notes.append(
            f"{chosen[0].homework}: graded {chosen[0].origin}, ignored {', '.join(skipped)}"
        )
    return chosen[0]


def _extract_zip(path: Path, target: Path) -> list[str]:
    """Extract safely: no absolute or ``..`` paths, no links, bounded size, count, depth and
    name length. A member that cannot be extracted (a name the file system refuses, a file
    where a folder must go, a corrupt or encrypted entry) is skipped with a note; an archive
    that cannot be read at all raises.

    Returns:
        the notes, one per skipped member.

    Raises:
        SubmissionError: not a zip file, or more files or bytes than the bounds.
    """
    notes: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_FILES:
                raise SubmissionError(f"{path.name}: more than {MAX_ZIP_FILES} files")
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise SubmissionError(f"{path.name}: more than {MAX_ZIP_BYTES >> 20} MiB unpacked")
            for member in members:
                problem = _member_problem(member) or _extract_member(archive, member, target)
                if problem:
                    notes.append(f"{path.name}: {_shown_name(member.filename)} {problem}; skipped")
    except SubmissionError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SubmissionError(f"{path.name} is not a valid zip file: {exc}") from exc
    return notes


def _member_problem(member: zipfile.ZipInfo) -> str | None:
    """Why a member's name cannot be extracted, or ``None``."""
    name = member.filename.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        return "points outside the archive"
    if (member.external_attr >> 16) & 0o170000 == 0o120000:
        return "is a link"
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        return f"has a name longer than {MAX_NAME_BYTES} bytes"
    if len(parts) - 1 > MAX_ZIP_DEPTH:  # folders above the file
        return f"is nested deeper than {MAX_ZIP_DEPTH} folders"
    return None


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> str:
    """Write one member under ``target``; why it could not be, or ``""``."""
    parts = [p for p in member.filename.replace("\\", "/").split("/") if p not in ("", ".")]
    destination = target.joinpath(*parts)
    try:
        with archive.open(member) as src:
            data = src.read(MAX_FILE_BYTES + 1)
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
    ) as exc:  # corrupt, encrypted, or an unknown compression method
        return f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
    try:
        os.makedirs(destination.parent, exist_ok=True)
        with open(destination, "xb") as out:  # never over a file or folder already there
            out.write(data[:MAX_FILE_BYTES])
    except OSError as exc:  # `data` beside `data/x`, a name the file system refuses
        return f"cannot be extracted ({exc.strerror or type(exc).__name__})"
    return ""


def _shown_name(name: str) -> str:
    """A member's name as a note shows it: printable, at most 80 characters."""
    text = name.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text if len(text) <= 80 else text[:77] + "...")


# ----------------------------------------------------------------------------- files


def _load_file(path: Path, course: Course, shown: str, single: bool = False) -> LoadedModule | None:
    """One file as a homework module; ``None`` when it is none of the course's.

    ``single``: the file is the whole submission, so an unusable one is reported even when its
    name does not say which assignment it was meant for.
    """
    size = path.stat().st_size
    unusable = ""
    if size > MAX_FILE_BYTES:
        unusable = f"{shown} is larger than {MAX_FILE_BYTES >> 20} MiB"
    elif size < 4096 and not path.read_bytes().strip():  # a longer file is not blank
        unusable = f"{shown} is empty: nothing to grade"
    if unusable:
        return _unusable(path, course, shown, unusable, single)
    if path.suffix == ".ipynb":
        return _load_notebook(path, course, shown, single)
    return _load_python(path, course, shown, single)


def _unusable(
    path: Path, course: Course, shown: str, reason: str, single: bool
) -> LoadedModule | None:
    """A module that stands for a file nothing can be graded from."""
    homework = _homework_from_name(path.name, course)
    if homework is None and not single:
        return None
    module = LoadedModule(homework.id if homework else "?", shown)
    module.problems["*"] = reason
    return module


def _homework_from_name(name: str, course: Course) -> Homework | None:
    for homework in course.homeworks:
        if homework.id in name:
            return homework
    return None


def _load_notebook(path: Path, course: Course, shown: str, single: bool) -> LoadedModule | None:
    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        sources = [
            (i + 1, "".join(cell.source))
            for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code"
        ]
    except Exception as exc:  # not JSON, not a notebook, not UTF-8: the notebook is unusable
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        reason = f"{shown} cannot be read as a notebook ({type(exc).__name__}: {first})"
        return _unusable(path, course, shown, reason, single)
    marked = [(n, src, find_marker(src)) for n, src in sources]
    homework = _homework_of(marked, path.name, course) or _loose_homework(sources, course)
    if homework is None:
        return None
    module = LoadedModule(homework.id, shown)
    chunks, ambiguous = [], {}
    for n, src, strict in marked:
        marker = strict
        if (
            strict is not None
            and strict.kind == "exercise"
            and strict.name not in homework.exercises
        ):
            marker = None  # "# EXERCISE 1.4 - Sigmoid": perhaps loosely written, see below
        if marker is None and (loose := find_loose_marker(src)):
            marker, problem = resolve_loose(loose, src, homework)
            if marker is not None:
                module.notes.append(f"cell {n}: read {loose.line!r} as `{marker.line()}`")
            elif problem:
                ambiguous[loose.section] = f"cell {n}: {problem}"
        if marker is None and strict is not None:
            marker = strict  # an unknown exercise: _assemble names the closest one
        if marker is not None:
            chunks.append((f"{shown}, cell {n}", Chunk(marker, src)))
        elif near := near_marker(src):
            module.notes.append(f"cell {n}: {near!r} looks like a marker but is not one")
    _assemble(module, homework, chunks, course, ambiguous)
    return module


def resolve_loose(loose: LooseMarker, source: str, homework: Homework) -> tuple[Marker | None, str]:
    """The marker a loosely written marker line means, or why it is ambiguous.

    Case, spacing and the dash never matter. The section decides among its exercises: the
    first word of the title names one (any case), or the section has only one, or the cell
    defines exactly one of them; otherwise the line is ambiguous and says so.
    """
    if loose.kind != "exercise":
        same = loose.name.lower() == homework.id.lower()
        return (Marker(loose.kind, homework.id) if same else None), ""
    section = next((s for s in homework.sections if s.id.upper() == loose.section), None)
    if section is None:
        return None, ""
    names = {n.lower(): n for n in section.exercises}
    first = re.match(r"[A-Za-z_]\w*", loose.title)
    if first and first.group().lower() in names:
        return Marker("exercise", names[first.group().lower()], section.id), ""
    if len(section.exercises) == 1:
        return Marker("exercise", section.exercises[0], section.id), ""
    defined = [n for n in section.exercises if re.search(rf"^(def|class)\s+{n}\b", source, re.M)]
    if len(defined) == 1:
        return Marker("exercise", defined[0], section.id), ""
    options = " or ".join(
        f"`{Marker('exercise', n, section.id).line()}`" for n in section.exercises
    )
    return None, f"{loose.line!r} could mean {options}: write the exercise's name after the dash"


def _loose_homework(sources: list[tuple[int, str]], course: Course) -> Homework | None:
    """The homework a notebook whose markers are all loosely written belongs to, if one."""
    for _, src in sources:
        loose = find_loose_marker(src)
        if loose is None:
            continue
        for homework in course.homeworks:
            if loose.kind != "exercise" and loose.name.lower() == homework.id.lower():
                return homework
            if loose.kind == "exercise" and any(
                s.id.upper() == loose.section for s in homework.sections
            ):
                return homework
    return None


def _load_python(path: Path, course: Course, shown: str, single: bool) -> LoadedModule | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"{shown} cannot be read as UTF-8 Python source ({type(exc).__name__})"
        return _unusable(path, course, shown, reason, single)
    header, chunks = split_module(text)
    markers = [(None, 0, c.marker) for c in chunks]
    # A single file may carry the student's name (ivan_hw1_basics.py); in a folder only the
    # exact module name counts, so notes or helpers beside the homework are not taken for it.
    homework = _homework_of(markers, path.stem, course, exact_name=not single)
    if homework is None:
        return None
    module = LoadedModule(homework.id, shown)
    if not chunks:  # a plain module without markers: one cell for everything
        module.cells.append(CellSpec("module", text, path.name))
        error = _syntax_error(text, path.name)
        if error:
            module.problems.update({name: error for name in homework.exercises})
        return module
    if header.strip():
        module.cells.append(CellSpec("header", header, path.name))
    _assemble(module, homework, [(path.name, c) for c in chunks], course)
    return module


def _homework_of(
    marked: list, name: str, course: Course, exact_name: bool = False
) -> Homework | None:
    """Which homework a file is: its IMPORTS/SELF-CHECK marker, its exercises, or its name."""
    markers = [m for *_, m in marked if m]
    for marker in markers:
        if marker.kind in ("imports", "self-check"):
            try:
                return course.homework(marker.name)
            except CourseError:
                pass
    names = {m.name for m in markers if m.kind == "exercise"}
    scored = [(len(names & set(h.exercises)), h) for h in course.homeworks]
    best = max(scored, key=lambda pair: pair[0], default=(0, None))
    if best[0]:
        return best[1]
    if exact_name:
        return next((h for h in course.homeworks if h.id == name), None)
    return _homework_from_name(name, course)


# ----------------------------------------------------------------------------- cells


def _assemble(
    module: LoadedModule,
    homework: Homework,
    chunks: list[tuple[str, Chunk]],
    course: Course,
    ambiguous: dict[str, str] | None = None,
) -> None:
    """Turn marked chunks into cells to run and problems to report.

    ``ambiguous``: section id -> a cell whose marker line could mean several of its exercises.
    """
    by_name: dict[str, list[tuple[str, Chunk]]] = {}
    imports = []
    for origin, chunk in chunks:
        marker = chunk.marker
        if marker.kind == "imports":
            imports.append((origin, chunk))
        elif marker.kind == "exercise":
            if marker.name in homework.exercises:
                by_name.setdefault(marker.name, []).append((origin, chunk))
            else:
                hint = _close(marker.name, homework.exercises)
                module.notes.append(f"{origin}: unknown exercise {marker.name!r}{hint}; ignored")
    module.cells.append(_imports_cell(module, homework, imports, course))
    for name in homework.exercises:
        found = by_name.get(name, [])
        expected = Marker("exercise", name, homework.section_of(name).id).line()
        if not found:
            section = homework.section_of(name).id
            module.problems[name] = (ambiguous or {}).get(
                section, f"no cell starts with the marker line `{expected}`"
            )
            continue
        distinct = {c.source.strip() for _, c in found}
        origin, chunk = found[-1]
        if len(distinct) > 1:  # running the notebook top to bottom keeps the last definition
            places = ", ".join(o for o, _ in found[:-1])
            module.notes.append(
                f"`{expected}` starts {len(found)} different cells: graded the last one "
                f"({origin}), as running the notebook from the top would; delete the others "
                f"({places})"
            )
        cell = _cell(name, origin, chunk, module)
        error = _syntax_error(cell.source, cell.filename, cell.line)
        if error:
            module.problems[name] = error
        else:
            module.cells.append(cell)


def _imports_cell(
    module: LoadedModule, homework: Homework, imports: list, course: Course
) -> CellSpec:
    if imports:
        origin, chunk = imports[-1]
        cell = _cell(IMPORTS, origin, chunk, module)
        if not _syntax_error(cell.source, cell.filename, cell.line):
            return cell
        module.notes.append(
            f"{origin}: the IMPORTS cell has a syntax error; used the course's imports"
        )
    else:
        module.notes.append("no IMPORTS cell found; used the course's imports")
    stub = course.module_path("exercises", homework.id)
    _, stub_chunks = split_module(stub.read_text(encoding="utf-8")) if stub.exists() else ("", [])
    source = next((c.source for c in stub_chunks if c.marker.kind == "imports"), "")
    return CellSpec(IMPORTS, source, f"{homework.id} (course imports)")


def _cell(key: str, origin: str, chunk: Chunk, module: LoadedModule) -> CellSpec:
    is_notebook = ", cell " in origin
    source, removed = _strip_magics(chunk.source) if is_notebook else (chunk.source, 0)
    if removed:
        module.notes.append(
            f"{origin}: {removed} notebook magic/shell line(s) ignored by the grader"
        )
    filename = f"{origin} ({chunk.marker.line().lstrip('# ')})" if is_notebook else origin
    return CellSpec(key, source, filename, 1 if is_notebook else chunk.first_line)


def _strip_magics(source: str) -> tuple[str, int]:
    """Replace IPython magics (``%timeit``, ``!pip``) by ``pass``: plain Python must compile."""
    lines, removed = [], 0
    for line in source.splitlines():
        match = _MAGIC.match(line)
        if match:
            removed += 1
            line = f"{match[1]}pass  # removed: {match[2][:60]}"
        lines.append(line)
    return "\n".join(lines), removed


def _syntax_error(source: str, filename: str, first_line: int = 1) -> str | None:
    try:
        compile("\n" * (first_line - 1) + source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{filename}, line {exc.lineno}" if exc.lineno else filename
        text = f"\n    {exc.text.strip()}" if exc.text else ""
        return f"syntax error in {where}: {exc.msg}{text}"
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return f"{filename} cannot be compiled: {type(exc).__name__}: {exc}"
    try:  # compiles, but nested too deeply for the grader's readers (torchgrade.rules)
        line = too_deep(ast.parse("\n" * (first_line - 1) + source, filename))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        line = first_line
    if line is not None:
        return (
            f"{filename}, line {line}: code nested more than {MAX_AST_DEPTH} levels deep "
            "cannot be checked; write it flatter"
        )
    return None


def _close(name: str, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""
