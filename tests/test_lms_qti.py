"""The QTI 2.1 export (derive solutions -f qti; derive variants -f qti): every item, the test and the manifest valid
against IMS's QTI 2.1 and CP 1.1 XSDs (../shared/schemas/qti21, read from there: skipped with one line when the folder
is absent, failed under DERIVE_REQUIRE_SCHEMAS=1), a deliberately broken item refused by them; numbers compared with
toleranceMode relative or absolute (never exact), maths as MathML in the m: namespace, figures in the package; the
golden files."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

import derive
import lms_golden
from lms_readers import qti_schemas

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


@pytest.fixture(scope="module")
def package():
    return zipfile.ZipFile(io.BytesIO(derive.render(lms_golden.doc(), "qti")))


def validate(archive: zipfile.ZipFile) -> dict[str, list[str]]:
    """The schema errors of every XML file of a package, by name (none: valid)."""
    from lxml import etree
    items, manifest = qti_schemas()
    errors = {}
    for name in archive.namelist():
        if name.endswith(".xml"):
            schema = manifest if name == "imsmanifest.xml" else items
            if not schema.validate(etree.fromstring(archive.read(name))):
                errors[name] = [str(e) for e in schema.error_log][:3]
    return errors


def test_the_golden_files():
    lms_golden.compare("qti/")


def test_every_item_the_test_and_the_manifest_are_valid(package):
    assert validate(package) == {}
    assert sum(n.startswith("items/") and n.endswith(".xml") for n in package.namelist()) == 6


def test_a_broken_item_is_refused_by_the_schema(package):
    name = "items/Q3a.xml"
    broken = package.read(name).replace(b'toleranceMode="relative"', b'toleranceMode="approximately"')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr(name, broken)
    errors = validate(zipfile.ZipFile(buffer))
    assert list(errors) == [name] and "toleranceMode" in errors[name][0]


def test_numbers_compare_with_a_tolerance_never_exactly(package):
    from lxml import etree
    for name in package.namelist():
        if name.startswith("items/") and name.endswith(".xml"):
            item = etree.fromstring(package.read(name))
            for equal in item.iter(f"{QTI}equal"):
                assert equal.get("toleranceMode") == "relative" and equal.get("tolerance") == "1 1", name
            responses = {d.get("identifier"): d.get("baseType") for d in item.iter(f"{QTI}responseDeclaration")}
            entries = [e.get("responseIdentifier") for e in item.iter(f"{QTI}textEntryInteraction")]
            assert all(responses[r] == "float" for r in entries)
            assert len(list(item.iter(f"{QTI}equal"))) == len(entries)


def test_maths_is_mathml_in_the_m_namespace(package):
    text = package.read("items/Q2a.i.xml").decode()
    assert 'xmlns:m="http://www.w3.org/1998/Math/MathML"' in text and "<m:math" in text and "<math" not in text


def test_every_file_is_in_the_manifest_and_every_link_is_packaged(package):
    names = set(package.namelist())
    manifest = package.read("imsmanifest.xml").decode()
    listed = set(re.findall(r'<file href="([^"]+)"', manifest))
    assert listed == names - {"imsmanifest.xml"}
    for name in names:
        if name.startswith("items/") and name.endswith(".xml"):
            for src in re.findall(r'<img src="([^"]+)"', package.read(name).decode()):
                assert f"items/{src}" in names
    test = package.read("test.xml").decode()
    assert test.count('<selection select="1" />') == 6
