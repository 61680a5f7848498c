from restoration.core.training import train_segmentation
from restoration.management.training import TrainingCommand


class Command(TrainingCommand):
    help = ("Train the segmentation U-Net on a synthetic damage dataset (DIR/manifest.json, as written by "
            "build_synthetic_dataset) and save the checkpoint with its model card; logs validation scores per epoch.")
    kind = "segmentation"
    train = staticmethod(train_segmentation)
