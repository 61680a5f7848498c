from restoration.core.training import train_restoration
from restoration.management.training import TrainingCommand


class Command(TrainingCommand):
    help = ("Train the restoration U-Net on a synthetic damage dataset (DIR/manifest.json, as written by "
            "build_synthetic_dataset) and save the checkpoint with its model card; logs validation scores per epoch.")
    kind = "restoration"
    train = staticmethod(train_restoration)
