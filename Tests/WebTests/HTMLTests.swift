import Markup
import Testing

@Suite struct HTMLTests {
    @Test func everyCharacterThatEndsTextOrAnAttributeIsEscaped() {
        #expect(
            HTML.escape(#"<a href="x" title='y'>&</a>"#)
                == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTML.escape("Zoë — 10 €") == "Zoë — 10 €")
    }

    @Test func theShellEscapesItsTitleAndKeepsTheBody() {
        let page = HTML.document(title: "<script>", body: "<p>ok</p>", style: "body{}", language: "fr")
        #expect(page.hasPrefix("<!doctype html>"))
        #expect(page.contains(#"<html lang="fr">"#))
        #expect(page.contains("<title>&lt;script&gt;</title>"))
        #expect(page.contains("<h1>&lt;script&gt;</h1>"))
        #expect(page.contains("<p>ok</p>"))
    }
}
