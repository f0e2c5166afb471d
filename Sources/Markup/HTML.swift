/// The service's one HTML escape and page shell, for the few pages written in code (the fake provider's checkout,
/// link outcomes, the development mailbox). Pages built from templates are escaped by the template engine.
public enum HTML {
    /// Escapes text for HTML content and for quoted attribute values (either quote).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A whole document: `title` (text, escaped here) as the title and first heading, then `body` (HTML the caller
    /// escaped), styled by `style` (CSS).
    public static func document(title: String, body: String, style: String, language: String = "en") -> String {
        """
        <!doctype html>
        <html lang="\(Self.escape(language))"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Self.escape(title))</title>
        <style>\(style)</style></head>
        <body><h1>\(Self.escape(title))</h1>
        \(body)
        </body></html>
        """
    }
}
