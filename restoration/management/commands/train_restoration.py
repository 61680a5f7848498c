from restoration.core.training import train_restoration
from restoration.core.unet import UNetConfig
from restoration.management.training import TrainingCommand


class Command(TrainingCommand):
    help = ("Train the restoration U-Net on a synthetic damage dataset (DIR/manifest.json, as written by "
            "build_synthetic_dataset) and save the checkpoint with its model card; logs validation scores per epoch.")
    kind = "restoration"
    train = staticmethod(train_restoration)

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--plain", action="store_true",
                            help="A plain residual U-Net (no learned damage gate); default: gated.")
        parser.add_argument("--perceptual-weight", type=float, default=0.1,
                            help="Weight of LPIPS (default 0.1; 0: none).")

    def architecture(self, options) -> UNetConfig:
        return UNetConfig(in_channels=3, out_channels=3, base=options["base"], depth=options["depth"],
                          task="restoration", gated=not options["plain"])

    def extra(self, options) -> dict:
        weight = options["perceptual_weight"]
        return {"perceptual": "lpips" if weight > 0 else None, "perceptual_weight": weight}
