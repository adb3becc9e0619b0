//! Generated tenants for the tests, through the library's generator (`pimctl::emulator::generate`).

use pimctl::emulator::generate::{self, Drift, Layout, Options, Shape};

/// A generated tenant and the one-file declaration that matches it exactly: `roles` roles, `eligible` eligible and
/// `active` active assignments spread over them, and `activations` activations of eligible assignments in progress,
/// all held by users. Every declared principal holds a role, so no principal needs a lookup.
pub fn generated(
    roles: usize,
    eligible: usize,
    active: usize,
    activations: usize,
) -> (String, String) {
    let g = generate::generate(&Options {
        shape: Shape {
            roles,
            eligible,
            active,
            activations,
            users: eligible.max(active).max(1),
            groups: 0,
            service_principals: 0,
            policies: false,
            ..Default::default()
        },
        drift: Drift::default(),
        layout: Layout::OneFile,
        rng_seed: 0,
    })
    .expect("a shape the generator can lay out");
    let [(_, policies)]: [(String, String); 1] = g.policies.try_into().expect("one file");
    (g.seed, policies)
}
