from . import errors, main
