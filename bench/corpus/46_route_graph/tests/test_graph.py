from routes.graph import Graph


def make():
    g = Graph()
    g.add("A", "B", 5)
    g.add("A", "C", 9)
    g.add("B", "C", 3)
    g.add("D", "C", 2)
    return g


def test_neighbours():
    assert make().neighbours("A") == ["B", "C"]


def test_no_neighbours():
    assert make().neighbours("C") == []


def test_feeders():
    assert make().feeders("C") == ["A", "B", "D"]


def test_fastest_into():
    assert make().fastest_into("C") == "D"


def test_fastest_into_unreachable():
    assert make().fastest_into("A") is None


def test_outgoing_minutes():
    assert [e.minutes for e in make().outgoing("A")] == [5, 9]


def test_empty_graph():
    assert Graph().neighbours("A") == []
