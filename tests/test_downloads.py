"""web.downloads: every download names its file one way, and a name that is not ASCII survives (RFC 6266/5987)."""

from urllib.parse import unquote

from tamasuk.web.downloads import attachment, content_disposition


def test_an_ascii_name_is_the_plain_header():
    assert content_disposition("mombasa-plan-3-iati.xml") == 'attachment; filename="mombasa-plan-3-iati.xml"'


def test_quotes_and_backslashes_are_escaped():
    assert content_disposition('a"b\\c.csv') == 'attachment; filename="a\\"b\\\\c.csv"'


def test_an_arabic_name_gets_filename_star_beside_an_ascii_fallback():
    name = "خطة-المدينة-2026.pdf"
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf") and fallback.strip(".-")
    star = header.split("filename*=", 1)[1]
    assert star.startswith("UTF-8''") and star.isascii()
    assert unquote(star[len("UTF-8''"):], encoding="utf-8") == name


def test_accents_fold_in_the_fallback():
    header = content_disposition("Région côtière.csv")
    assert 'filename="Region-cotiere.csv"' in header
    assert "filename*=UTF-8''R%C3%A9gion%20c%C3%B4ti%C3%A8re.csv" in header


def test_a_name_with_no_ascii_letters_falls_back_to_download():
    assert 'filename="download.md"' in content_disposition("محضر.md")


def test_attachment_response():
    response = attachment("a,b\n", "x.csv", "text/csv; charset=utf-8")
    assert response.content == b"a,b\n" and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert not response.has_header("Cache-Control")
    private = attachment(b"<x/>", "x.xml", "application/xml", private=True)
    assert private["Cache-Control"] == "private, no-store"
