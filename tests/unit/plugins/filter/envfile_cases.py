"""Environment file cases shared by the unit tests of from_env/to_env and the integration test
that loads the same files into a real systemd unit."""

# file content -> the environment systemd 252 gives the service
CASES = [
    ("A=plain\n", {"A": "plain"}),
    ("A=trailing   \t\n", {"A": "trailing"}),
    ("   A  =  spaced value  \n", {"A": "spaced value"}),
    ("A='single $HOME \\n \"q\"'\n", {"A": 'single $HOME \\n "q"'}),
    ('A="double \\"q\\" \\\\ \\$X \\`c\\` \\n"\n', {"A": 'double "q" \\ $X `c` \\n'}),
    ('A="multi\nline"\n', {"A": "multi\nline"}),
    ("A=joined\\\nline\n", {"A": "joinedline"}),
    ('A="a"\'b\'c\n', {"A": "abc"}),
    ("A=x \"y\"\n", {"A": 'x "y"'}),
    ("# comment\n; another\nA=1\n", {"A": "1"}),
    ("A=1 # not a comment\n", {"A": "1 # not a comment"}),
    ("A=\nB=\"\"\n", {"A": "", "B": ""}),
    ("A=1\nA=2\n", {"A": "2"}),
    ("1BAD=x\nexport E=y\nGOOD=z\n", {"GOOD": "z"}),
    ("NOEQUALS\nB=2\n", {"B": "2"}),
    ("A=esc\\ aped\\\\\n", {"A": "esc aped\\"}),
    ("A=\"unterminated\n", {"A": "unterminated\n"}),
    ("A=last-line-without-newline", {"A": "last-line-without-newline"}),
    ("A=crlf\r\nB=2\r\n", {"A": "crlf", "B": "2"}),
]


# values that must survive to_env -> systemd (and to_env -> from_env) unchanged
ROUND_TRIP = [
    "plain", "two words", "  padded  ", 'q"uote', "back\\slash", "$HOME ${X} `cmd`", "# hash", "; semi",
    "multi\nline\n", "tab\there", "'single'", "", "trailing\\", "\\n literal", "unicode ✓ ü",
]
