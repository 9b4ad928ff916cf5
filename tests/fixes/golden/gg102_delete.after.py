import torch


def td_targets(target_net, rewards, next_obs, dones, gamma=0.99):
    # the target network must not be trained
    # meant as a scope

    next_q = target_net(next_obs).max(dim=1).values
    # discounted
    target = rewards + gamma * (1.0 - dones) * next_q
    return target
