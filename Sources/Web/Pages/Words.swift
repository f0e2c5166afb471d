import Booking
import Foundation

extension Language {
    /// The best of our languages for an `Accept-Language` header (`fr-CH, fr;q=0.9, en;q=0.8`), if any matches.
    static func preferred(by acceptLanguage: String?) -> Language? {
        guard let acceptLanguage else { return nil }
        var ranked: [(language: Language, quality: Double, position: Int)] = []
        for (position, part) in acceptLanguage.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            let primary = String(tag.split(separator: "-").first ?? "")
            var quality = 1.0
            for piece in pieces.dropFirst() where piece.hasPrefix("q=") {
                quality = Double(piece.dropFirst(2)) ?? 0
            }
            if let language = Language(rawValue: primary), quality > 0 {
                ranked.append((language, quality, position))
            }
        }
        return ranked.min { ($0.quality, -$0.position) > ($1.quality, -$1.position) }?.language
    }
}

/// The words of the pages, one catalog per language (`Catalogs/en.json`, `Catalogs/fr.json`): keys to text,
/// where `{name}` marks a value filled in at rendering.
struct WordCatalog: Sendable {
    private let words: [Language: [String: String]]

    init(words: [Language: [String: String]]) { self.words = words }

    /// The catalogs shipped in this build.
    static func bundled() throws -> WordCatalog {
        var words: [Language: [String: String]] = [:]
        for language in Language.allCases {
            guard
                let url = Bundle.module.url(
                    forResource: language.rawValue, withExtension: "json", subdirectory: "Catalogs")
            else { throw PageSetupError("the word catalog \(language.rawValue).json is missing from this build") }
            words[language] = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))
        }
        return WordCatalog(words: words)
    }

    /// Every word of a language, for templates, with dots made underscores (Mustache reads dots as nesting):
    /// `{{t.home_title}}` is `home.title`.
    func forTemplates(_ language: Language) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: (self.words[language] ?? [:]).map {
                ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value)
            })
    }

    /// The keys some language has and `language` lacks.
    func missing(in language: Language) -> [String] {
        let all = Set(self.words.values.flatMap(\.keys))
        return all.subtracting(self.words[language]?.keys.map { $0 } ?? []).sorted()
    }

    /// The text of `key` with its `{name}` values filled in; the key itself when it is missing (a test fails first).
    /// One pass over the text: a value is never read again, so what a visitor typed (`{field}`, say) stays as typed.
    func text(_ key: String, _ language: Language, _ values: [String: String] = [:]) -> String {
        let template = self.words[language]?[key] ?? key
        guard !values.isEmpty else { return template }
        var text = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            text += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}"),
                let value = values[String(rest[rest.index(after: open)..<close])]
            else {
                text.append("{")
                rest = rest[rest.index(after: open)...]
                continue
            }
            text += value
            rest = rest[rest.index(after: close)...]
        }
        return text + rest
    }
}

/// A page resource missing from the build.
struct PageSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
