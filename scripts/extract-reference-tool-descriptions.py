#!/usr/bin/env python3
"""Extracts the tool and parameter descriptions of the MCP reference servers (github.com/modelcontextprotocol/servers,
MIT / Apache-2.0) into benign items of the tool-definition corpus (see SOURCES.md).

Usage: extract-reference-tool-descriptions.py <git dir of modelcontextprotocol/servers> <commit> > items.jsonl

Each description string literal (TypeScript `description: "..." + "..."`, zod `.describe("...")`, Python
`description="..."` / `"description": "..."`) becomes one item: {"id", "source": "mcp-reference-servers",
"json": {"name": <nearest tool name or the server's>, "description": <text>}, "labels": []}. Duplicates are dropped.
Deterministic: same commit, same output.
"""
import json
import re
import subprocess
import sys

FILES = [
    "src/everything/tools/", "src/filesystem/index.ts", "src/memory/index.ts", "src/sequentialthinking/index.ts",
    "src/fetch/src/mcp_server_fetch/server.py", "src/git/src/mcp_server_git/server.py",
    "src/time/src/mcp_server_time/server.py",
]

STRING = r'(?:"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`)'
CONCAT = r'[fr]?' + STRING + r'(?:\s*\+\s*[fr]?' + STRING + r')*'
DESCRIPTION = re.compile(r'(?:description\s*[:=]\s*|"description"\s*:\s*|\.describe\(\s*)(' + CONCAT + ')')
NAME = re.compile(r'(?:registerTool\(\s*|name\s*[:=]\s*)["\']([a-z][a-z0-9_-]{1,60})["\']')
PIECE = re.compile(r'[fr]?(' + STRING + ')')


def unquote(literal):
    if literal.startswith('"""'):
        return literal[3:-3]
    body = literal[1:-1]
    return bytes(body, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") \
        if "\\" in body else body


def git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True, capture_output=True,
                          text=True).stdout


def main():
    git_dir, commit = sys.argv[1], sys.argv[2]
    paths = [p for p in git(git_dir, "ls-tree", "-r", "--name-only", commit).splitlines()
             if any(p == f or (f.endswith("/") and p.startswith(f) and p.endswith(".ts")) for f in FILES)]
    seen = set()
    n = 0
    for path in sorted(paths):
        text = git(git_dir, "show", f"{commit}:{path}")
        server = path.split("/")[1]
        for match in DESCRIPTION.finditer(text):
            description = " ".join(unquote(p.group(1)) for p in PIECE.finditer(match.group(1))
                                   ).replace("\n", " ").strip()
            description = re.sub(r"\s+", " ", description)
            if len(description) < 12 or description in seen:
                continue
            seen.add(description)
            names = NAME.findall(text, 0, match.start())
            n += 1
            item = {"id": f"ref-{n:03d}", "source": "mcp-reference-servers",
                    "json": {"name": names[-1] if names else server, "description": description}, "labels": []}
            print(json.dumps(item, ensure_ascii=False))


if __name__ == "__main__":
    main()
