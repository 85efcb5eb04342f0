"""Domain exceptions. Each message is one line and says what to do about it."""


class ChorusError(Exception):
    """Base class: a problem the user can fix; the CLI prints it without a traceback."""


class InputError(ChorusError):
    """An input could not be read; the batch goes on without it."""


class StoreError(ChorusError):
    """The store could not be opened or written."""


class ModelError(ChorusError):
    """The spaCy model is missing or broken."""


class ArticleRefused(StoreError):
    """The store refused one article for what it holds (text it cannot encode, a value
    over one of its limits); the batch goes on without it."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # the store's own words, without the store and the action
