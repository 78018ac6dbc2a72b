import Testing

@testable import PrometheusMetrics

@Suite(.timeLimit(.minutes(2))) struct ExpositionTests {
    @Test(arguments: [
        ("http_requests_total", true), ("a", true), ("_x", true), ("ns:sub_metric", true), ("A9_:", true),
        ("", false), ("9abc", false), ("with-dash", false), ("with space", false), ("é", false), ("a.b", false),
    ])
    func metricNamesAreValidatedAgainstThePrometheusGrammar(name: String, valid: Bool) {
        #expect(Exposition.isValidMetricName(name) == valid)
    }

    @Test(arguments: [
        ("route", true), ("_private", true), ("a1", true),
        ("", false), ("__reserved", false), ("1a", false), ("a:b", false), ("a-b", false),
    ])
    func labelNamesAreValidatedAgainstThePrometheusGrammar(name: String, valid: Bool) {
        #expect(Exposition.isValidLabelName(name) == valid)
    }

    @Test(arguments: [
        ("plain", "plain"), ("back\\slash", "back\\\\slash"), ("quo\"te", "quo\\\"te"), ("new\nline", "new\\nline"),
        ("all\\\"\n", "all\\\\\\\"\\n"), ("ünïcödé ✓", "ünïcödé ✓"), ("tab\there", "tab\there"),
    ])
    func labelValuesEscapeBackslashQuoteAndNewline(raw: String, escaped: String) {
        #expect(Exposition.escapeLabelValue(raw) == escaped)
    }

    @Test func helpEscapesBackslashAndNewlineButNotQuotes() {
        #expect(Exposition.escapeHelp("a \"b\" \\ c\nd") == "a \"b\" \\\\ c\\nd")
    }

    @Test(arguments: [
        (0.0, "0"), (1.0, "1"), (-3.0, "-3"), (0.25, "0.25"), (1e-7, "1e-07"), (Double.infinity, "+Inf"),
        (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (1e300, "1e+300"), (123456789.0, "123456789"),
        (0.1 + 0.2, "0.30000000000000004"),
    ])
    func valuesAreFormattedAsPrometheusParsesThem(value: Double, text: String) {
        #expect(Exposition.formatValue(value) == text)
    }

    @Test func contentTypeIsTheTextFormatVersion004() {
        #expect(Exposition.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}
