"""Loading a submission: a notebook, a ``.py`` module, a folder of them, or a zip.

Every input becomes, per homework, the list of cells to execute (the IMPORTS cell, then
one cell per exercise) and the problems found on the way, keyed by exercise: a missing,
duplicated or unparsable cell. Nothing here executes student code: sources are only read,
parsed by ``compile`` and ``ast``, and handed to the worker as text.
"""

import difflib
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.cells import Chunk, Marker, find_marker, near_marker, split_module
from grader.course import Course, CourseError, Homework
from grader.errors import GraderError
from grader.specs import CellSpec

MAX_FILE_BYTES = 20 << 20
MAX_ZIP_BYTES = 200 << 20
MAX_ZIP_FILES = 2000
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
            _extract_zip(path, Path(tmp))
            submission = _load_folder(Path(tmp), course, shown=path)
        return submission
    module = _load_file(path, course, shown=path.name)
    if module is None:
        raise SubmissionError(
            f"{path.name} is not a homework notebook or module of this course "
            f"(expected one of: {', '.join(h.id for h in course.homeworks)})"
        )
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
            f"{shown}: no homework notebook or module of this course found "
            f"(expected e.g. {course.homeworks[0].id}.ipynb)"
        )
    return Submission(str(shown), modules, notes)


def _walk(folder: Path):
    for entry in folder.iterdir():
        if entry.is_symlink() or entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
            continue
        if entry.is_dir():
            yield from _walk(entry)
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


def _extract_zip(path: Path, target: Path) -> None:
    """Extract safely: no absolute or ``..`` paths, no links, bounded size and count."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_FILES:
                raise SubmissionError(f"{path.name}: more than {MAX_ZIP_FILES} files")
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise SubmissionError(f"{path.name}: more than {MAX_ZIP_BYTES >> 20} MiB unpacked")
            for member in members:
                name = Path(member.filename)
                is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
                if name.is_absolute() or ".." in name.parts or is_link:
                    continue
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src:
                    data = src.read(MAX_FILE_BYTES + 1)
                destination.write_bytes(data[:MAX_FILE_BYTES])
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{path.name} is not a valid zip file: {exc}") from exc


# ----------------------------------------------------------------------------- files


def _load_file(path: Path, course: Course, shown: str) -> LoadedModule | None:
    if path.stat().st_size > MAX_FILE_BYTES:
        homework = _homework_from_name(path.name, course)
        if homework is None:
            return None
        module = LoadedModule(homework.id, shown)
        module.problems["*"] = f"{shown} is larger than {MAX_FILE_BYTES >> 20} MiB"
        return module
    if path.suffix == ".ipynb":
        return _load_notebook(path, course, shown)
    return _load_python(path, course, shown)


def _homework_from_name(name: str, course: Course) -> Homework | None:
    for homework in course.homeworks:
        if homework.id in name:
            return homework
    return None


def _load_notebook(path: Path, course: Course, shown: str) -> LoadedModule | None:
    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        sources = [
            (i + 1, "".join(cell.source))
            for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code"
        ]
    except Exception as exc:  # not JSON, not a notebook, not UTF-8: the notebook is unusable
        homework = _homework_from_name(path.name, course)
        if homework is None:
            return None
        module = LoadedModule(homework.id, shown)
        module.problems["*"] = f"{shown} cannot be read as a notebook ({type(exc).__name__}: {exc})"
        return module
    marked = [(n, src, find_marker(src)) for n, src in sources]
    homework = _homework_of(marked, path.name, course)
    if homework is None:
        return None
    chunks = [(f"{shown}, cell {n}", Chunk(m, src)) for n, src, m in marked if m]
    module = LoadedModule(homework.id, shown)
    for n, src, marker in marked:
        if marker is None and (near := near_marker(src)):
            module.notes.append(f"cell {n}: {near!r} looks like a marker but is not one")
    _assemble(module, homework, chunks, course)
    return module


def _load_python(path: Path, course: Course, shown: str) -> LoadedModule | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    header, chunks = split_module(text)
    markers = [(None, 0, c.marker) for c in chunks]
    homework = _homework_of(markers, path.stem, course, exact_name=True)
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
    module: LoadedModule, homework: Homework, chunks: list[tuple[str, Chunk]], course: Course
) -> None:
    """Turn marked chunks into cells to run and problems to report."""
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
            module.problems[name] = f"no cell starts with the marker line `{expected}`"
            continue
        distinct = {c.source.strip() for _, c in found}
        if len(distinct) > 1:
            places = " and ".join(origin for origin, _ in found)
            module.problems[name] = f"`{expected}` appears in {places}; keep exactly one such cell"
            continue
        origin, chunk = found[0]
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
    return None


def _close(name: str, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""
