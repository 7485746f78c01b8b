"""The `tamasuk` command for operators: `tamasuk serve`, `tamasuk demo`, `tamasuk import-areas`,
`tamasuk audit verify`, `tamasuk forget-person`, `tamasuk createadmin`,
`tamasuk backup`, `tamasuk restore`, and any Django management command (`tamasuk migrate`)."""

import os
import sys

COMMANDS = {
    "serve": "serve the application (add --init on a fresh installation)",
    "demo": "load or reset (--reset) the demo city",
    "import-areas": "import areas from GeoJSON (validates all first; --dry-run)",
    "audit": "`audit verify [--city SLUG]`: recompute the audit hash chains",
    "forget-person": "erase a person's contact details from a city and its audit payloads (--dry-run)",
    "createadmin": "create a city administrator (and the city)",
    "backup": "write one archive with the database and the stored files (--output FILE)",
    "restore": "restore an archive from `backup`, checked first, its audit chains verified after",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamasuk.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print("usage: tamasuk COMMAND [options]\n\ncommands:")
        for name, text in COMMANDS.items():
            print(f"  {name:<14} {text}")
        print("\nAny Django management command works too, e.g. `tamasuk migrate`. "
              "`tamasuk COMMAND --help` explains one.")
        return
    argv[0] = argv[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tamasuk", *argv])


if __name__ == "__main__":
    main()
