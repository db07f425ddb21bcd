"""HaloRuns: the transport, and the endpoints of both API generations behind one ``HaloRunsSource``."""
