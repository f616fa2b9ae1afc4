from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from victimsupport.audit.commands import AuditedCommand
from victimsupport.crypto import DecryptionError
from victimsupport.stored_files import recheck, registered


class Command(AuditedCommand):
    help = (
        "Run the current upload checks again on every stored file (case documents, training "
        "certificates), one at a time. Reports ids only. --quarantine sets aside the files "
        "the checks refuse now, so that their download is refused; --reencode-images re-encodes "
        "stored images that still carry metadata (GPS position, camera, comments) and rewrites "
        "the stored files of kinds that clean more (a floor plan's PDF title and outline)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quarantine",
            action="store_true",
            help="Set aside every file the checks refuse (audited); without it, only report.",
        )
        parser.add_argument(
            "--reencode-images",
            action="store_true",
            help=(
                "Replace stored files that carry metadata by what the checks would store now "
                "(images re-encoded; PDFs of kinds that ask, without their metadata) (audited)."
            ),
        )
        parser.add_argument(
            "--progress-every", type=int, default=100, help="Print progress every N files."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["progress_every"]
        if every < 1:
            raise CommandError("--progress-every must be at least 1.")
        totals = {
            "checked": 0,
            "refused": 0,
            "metadata": 0,
            "files_metadata": 0,
            "undecryptable": 0,
        }
        for source in registered():
            # Ids first (small), then one file fetched and decrypted at a time: memory holds
            # one file, whatever the number stored.
            ids = list(source.ids())
            self.stdout.write(f"{source.kind}: {len(ids)} files to check")
            for done, pk in enumerate(ids, start=1):
                try:
                    loaded = source.load(pk)
                except DecryptionError:
                    # A key problem, not the file's: reported, never set aside for it.
                    totals["undecryptable"] += 1
                    self.stdout.write(f"  {source.kind} {pk}: could not be decrypted")
                    continue
                if loaded is not None:
                    totals["checked"] += 1
                    content_type, data = loaded
                    finding = recheck(content_type=content_type, data=data, clean=source.clean)
                    del data, loaded
                    if finding.refusal is not None:
                        totals["refused"] += 1
                        action = "quarantined" if options["quarantine"] else "would be refused"
                        self.stdout.write(
                            f"  {source.kind} {pk}: {action} ({finding.refusal.value})"
                        )
                        if options["quarantine"]:
                            source.quarantine(pk, finding.refusal)
                    elif finding.cleaned is not None:
                        what = "image" if content_type.startswith("image/") else "file"
                        totals["metadata" if what == "image" else "files_metadata"] += 1
                        action = "re-encoded" if options["reencode_images"] else "carries metadata"
                        if options["reencode_images"] and what == "file":
                            action = "rewritten without its metadata"
                        self.stdout.write(f"  {source.kind} {pk}: {what} {action}")
                        if options["reencode_images"]:
                            source.replace(pk, finding.cleaned)
                if done % every == 0 or done == len(ids):
                    self.stderr.write(f"  {source.kind}: {done}/{len(ids)}")
        summary = (
            f"Checked {totals['checked']} files: {totals['refused']} refused by the current "
            f"checks, {totals['metadata']} images carrying metadata, "
            + (
                f"{totals['files_metadata']} other files carrying metadata, "
                if totals["files_metadata"]
                else ""
            )
            + f"{totals['undecryptable']} could not be decrypted."
        )
        self.stdout.write(self.style.SUCCESS(summary))
        if totals["refused"] and not options["quarantine"]:
            self.stdout.write("Run again with --quarantine to set the refused files aside.")
        if (totals["metadata"] or totals["files_metadata"]) and not options["reencode_images"]:
            self.stdout.write("Run again with --reencode-images to drop the images' metadata.")
