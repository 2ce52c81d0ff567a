"""Progress bars: tqdm when it is installed, a plain line on stderr otherwise."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, desc: str, enabled: bool):
        self._bar = None
        self._plain = False
        self.total = total
        self.desc = desc
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc)
        except ImportError:
            self._plain = True

    def update(self, done: int, postfix: str = "") -> None:
        if self._bar is not None:
            self._bar.update(1)
            if postfix:
                self._bar.set_postfix_str(postfix)
        elif self._plain:
            end = "\n" if done >= self.total else ""
            sys.stderr.write(f"\r{self.desc}: {done}/{self.total} {postfix}{end}")
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
