"""Unit tests of the request handling, with a dictionary for Redis."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "app"))
import notes  # noqa: E402


class FakeStore:
    def __init__(self):
        self.data = {}

    def ping(self):
        return True

    def set(self, key, value):
        self.data[key] = value

    def get(self, key):
        return self.data.get(key)


class NotesTest(unittest.TestCase):
    def setUp(self):
        self.store = FakeStore()

    def test_health(self):
        self.assertEqual(notes.handle(self.store, "GET", "/health", b""), (200, "OK"))

    def test_store_and_read_a_note(self):
        self.assertEqual(notes.handle(self.store, "PUT", "/notes/hello", b"hi there"), (200, "Stored"))
        self.assertEqual(notes.handle(self.store, "GET", "/notes/hello", b""), (200, "hi there"))

    def test_missing_note(self):
        self.assertEqual(notes.handle(self.store, "GET", "/notes/nothing", b"")[0], 404)

    def test_bad_name_and_large_note(self):
        self.assertEqual(notes.handle(self.store, "PUT", "/notes/a%2Fb", b"x")[0], 400)
        self.assertEqual(notes.handle(self.store, "PUT", "/notes/big", b"x" * (notes.MAX_BODY + 1))[0], 413)


if __name__ == "__main__":
    unittest.main()
