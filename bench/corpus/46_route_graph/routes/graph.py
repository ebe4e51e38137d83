"""A directed graph of routes between stops."""


class Edge:
    def __init__(self, source, target, minutes):
        self.source = source
        self.target = target
        self.minutes = minutes


class Graph:
    def __init__(self):
        self.edges = []

    def add(self, source, target, minutes):
        self.edges.append(Edge(source, target, minutes))

    def outgoing(self, stop):
        return [e for e in self.edges if e.source == stop]

    def incoming(self, stop):
        return [e for e in self.edges if e.source == stop]

    def neighbours(self, stop):
        return sorted(e.target for e in self.outgoing(stop))

    def feeders(self, stop):
        """Stops with a direct route into `stop`."""
        return sorted(e.source for e in self.incoming(stop))

    def fastest_into(self, stop):
        edges = self.incoming(stop)
        if not edges:
            return None
        return min(edges, key=lambda e: e.minutes).source
