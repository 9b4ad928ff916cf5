from torch.autograd import Variable


def features(encoder, batch):
    images = Variable(batch["image"].cuda(), volatile=True)
    labels = Variable(batch["label"].cuda())
    return encoder(images), labels
