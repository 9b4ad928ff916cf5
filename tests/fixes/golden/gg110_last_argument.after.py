from torch.autograd import Variable


def features(encoder, batch):
    images = Variable(batch["image"].cuda())
    labels = Variable(batch["label"].cuda())
    return encoder(images), labels
