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
        "stored images that still carry metadata (GPS position, camera, comments)."
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
            help="Replace stored images that carry metadata by their re-encoded pixels (audited).",
        )
        parser.add_argument(
            "--progress-every", type=int, default=100, help="Print progress every N files."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["progress_every"]
        if every < 1:
            raise CommandError("--progress-every must be at least 1.")
        totals = {"checked": 0, "refused": 0, "metadata": 0, "undecryptable": 0}
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
                    finding = recheck(content_type=content_type, data=data)
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
                        totals["metadata"] += 1
                        action = "re-encoded" if options["reencode_images"] else "carries metadata"
                        self.stdout.write(f"  {source.kind} {pk}: image {action}")
                        if options["reencode_images"]:
                            source.replace(pk, finding.cleaned)
                if done % every == 0 or done == len(ids):
                    self.stderr.write(f"  {source.kind}: {done}/{len(ids)}")
        summary = (
            f"Checked {totals['checked']} files: {totals['refused']} refused by the current "
            f"checks, {totals['metadata']} images carrying metadata, "
            f"{totals['undecryptable']} could not be decrypted."
        )
        self.stdout.write(self.style.SUCCESS(summary))
        if totals["refused"] and not options["quarantine"]:
            self.stdout.write("Run again with --quarantine to set the refused files aside.")
        if totals["metadata"] and not options["reencode_images"]:
            self.stdout.write("Run again with --reencode-images to drop the images' metadata.")
