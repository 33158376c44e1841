"""What a call compiles in Pygments: source text, run in a fresh process or a kernel
(where nothing of Pygments is compiled yet), defining `compiled_by(fn)`.

`compiled_by(fn)` -> (the names of the lexer classes whose rules `fn()` compiled,
sorted; the modules it imported, sorted). Pygments compiles a regex lexer's rules the
first time the class is instantiated, in `RegexLexerMeta.process_tokendef`: a profile
hook sees that call, on this thread only.
"""

PROBE = """
import sys


def compiled_by(fn):
    lexers = []

    def hook(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "process_tokendef":
            lexers.append(frame.f_locals["cls"].__name__)

    before = set(sys.modules)
    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return sorted(lexers), sorted(set(sys.modules) - before)


def c_lexer():  # a lexer nothing else compiles: the probe's control
    from pygments.lexers import CLexer

    return CLexer()
"""
