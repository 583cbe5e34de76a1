"""What a received file is, read from its bytes, and the name it is stored and served under.

Magic numbers (the `filetype` package) name most types from the first bytes. Office documents
are ZIP archives, and there a guess from the first entry's name is not enough (a ZIP whose
first entry starts with `word/` would pass as DOCX): their structure is read with `zipfile`.
Everything here blocks on the disk or the CPU: call it in a worker thread.
"""

from __future__ import annotations

import mimetypes
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import filetype

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
ZIP = "application/zip"
UNKNOWN = "unknown"

ZIP_MAGIC = b"PK\x03\x04"
# The content type of a Word document's main part; macro-enabled documents and templates
# declare others, and are refused.
WORD_MAIN = DOCX + ".main+xml"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# `[Content_Types].xml` is a few kilobytes; anything much larger is not a document we take.
MAX_MANIFEST_BYTES = 1024 * 1024

# The extensions a type is stored and served with; the first is used when the client's is not
# one of them (a PDF named `invoice.hta` is served as `invoice.pdf`).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/heic": ("heic", "heif"),
    DOCX: ("docx",),
    ODT: ("odt",),
}


def detect(head: bytes, path: Path) -> str:
    """The media type of the file at `path`, whose first bytes are `head`."""
    if head.startswith(ZIP_MAGIC):
        return _zip_document(path) or ZIP
    guessed = filetype.guess(head)
    return guessed.mime if guessed else UNKNOWN


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """An entry's bytes, or None when it is larger than any real one (a zip bomb)."""
    if info.file_size > MAX_MANIFEST_BYTES:
        return None
    with archive.open(info) as entry:
        data = entry.read(MAX_MANIFEST_BYTES + 1)
    return data if len(data) <= MAX_MANIFEST_BYTES else None


def _zip_document(path: Path) -> str | None:
    """DOCX or ODT when the archive has the structure their specifications require."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            # ODF 1.2 part 3, 3.3: the first entry is `mimetype`, holding exactly the type.
            if entries and entries[0].filename == "mimetype":
                is_odt = _read_capped(archive, entries[0]) == ODT.encode() and (
                    "content.xml" in names
                )
                return ODT if is_odt else None
            # OPC (ECMA-376 part 2): the package's content types, and Word's main part.
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                manifest = _read_capped(archive, archive.getinfo("[Content_Types].xml"))
                if manifest is not None and _word_main_type(manifest) == WORD_MAIN:
                    return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
    except (NotImplementedError, RuntimeError):  # an unknown compression, an encrypted entry
        return None
    return None


def _word_main_type(manifest: bytes) -> str | None:
    """The content type `[Content_Types].xml` gives `/word/document.xml`: its override, else
    the default of the `xml` extension (OPC part names are compared without case)."""
    if b"<!DOCTYPE" in manifest or b"<!ENTITY" in manifest:  # never in OPC; refused unparsed
        return None
    try:
        root = ElementTree.fromstring(manifest)
    except ElementTree.ParseError:
        return None
    default = None
    for element in root:
        if element.tag == CONTENT_TYPES_NS + "Override":
            if element.get("PartName", "").lower() == "/word/document.xml":
                return element.get("ContentType")
        elif (
            element.tag == CONTENT_TYPES_NS + "Default"
            and element.get("Extension", "").lower() == "xml"
        ):
            default = element.get("ContentType")
    return default


def named_for(name: str, content_type: str) -> str:
    """`name` with the extension of `content_type` (kept when it already is one of its own)."""
    extensions = EXTENSIONS.get(content_type)
    if extensions is None:  # a type added by configuration: the registry's usual extension
        guessed = mimetypes.guess_extension(content_type, strict=False)
        extensions = (guessed.lstrip("."),) if guessed else ()
    stem, dot, extension = name.rpartition(".")
    # `v1.2 report` has no extension to replace; `invoice.hta` has one.
    has_extension = bool(dot and stem and extension.isalnum() and len(extension) <= 10)
    if has_extension and extension.lower() in extensions:
        return name
    base = stem if has_extension else name
    if not extensions:
        return base
    inner_stem, inner_dot, inner = base.rpartition(".")
    if has_extension and inner_dot and inner_stem and inner.lower() in extensions:
        return base  # `invoice.pdf.exe` is `invoice.pdf`
    suffix = "." + extensions[0]
    return base[: 255 - len(suffix)] + suffix
