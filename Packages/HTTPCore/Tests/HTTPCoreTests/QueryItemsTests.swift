import HTTPCore
import Testing

@Suite(.timeLimit(.minutes(3))) struct QueryItemsTests {
    @Test(arguments: [
        ("a=1&b=2", "a", "1"),
        ("name=web%20app", "name", "web app"),
        ("q=a+b", "q", "a b"),
        ("bad=%zz", "bad", "%zz"),
        ("flag", "flag", ""),
        ("k=%E2%82%AC", "k", "€"),
    ])
    func valuesArePercentDecoded(query: String, name: String, value: String) {
        #expect(QueryItems(query)[name] == value)
    }

    @Test func repeatedKeysKeepOrder() {
        let items = QueryItems("a=1&b=2&a=3")
        #expect(items.all("a") == ["1", "3"])
        #expect(items["missing"] == nil)
    }
}
