# Home Assistant 2026.10 aliases `voluptuous` to `probatio` when it starts, and its own type hints
# name probatio's classes. Type-check `import voluptuous as vol` the way it runs.
from probatio import *  # noqa: F403
