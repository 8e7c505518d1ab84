//! `quote()` throughput on one core: `make bench` (or `cargo bench -p app --bench quote`).
//! A plain loop with `black_box`, reporting quotes per second; target >= 1,000,000/s.

use std::hint::black_box;
use std::time::Instant;

use app::domain::pricing::{DiscountValue, MonthDiscount, Months, Percent, QuoteInput, quote};
use app::domain::{Currency, Money};

fn main() {
    let table: Vec<MonthDiscount> = [(3, 500), (6, 1_000), (12, 2_000)]
        .iter()
        .map(|(m, bp)| MonthDiscount {
            months: Months::new(*m).unwrap(),
            percent: Percent::from_bp(*bp).unwrap(),
        })
        .collect();
    let inputs: Vec<QuoteInput<'_>> = (0..64_u32)
        .map(|i| QuoteInput {
            monthly_price: Money::from_minor(29_900 + i64::from(i) * 1_001, Currency::Rub),
            months: Months::new(1 + i % 36).unwrap(),
            personal: (i % 3 == 0).then(|| Percent::from_bp(1_250).unwrap()),
            promo: match i % 4 {
                0 => Some(DiscountValue::Amount(Money::from_minor(
                    15_000,
                    Currency::Rub,
                ))),
                1 => Some(DiscountValue::Percent(Percent::from_bp(1_000).unwrap())),
                _ => None,
            },
            month_discounts: &table,
        })
        .collect();

    // Warm up, then measure a few rounds and report the best (least disturbed) one.
    for input in &inputs {
        black_box(quote(black_box(input)));
    }
    let per_round = 2_000_000_usize;
    let mut best = 0.0_f64;
    for round in 1..=5 {
        let start = Instant::now();
        for i in 0..per_round {
            black_box(quote(black_box(&inputs[i % inputs.len()])));
        }
        let rate = per_round as f64 / start.elapsed().as_secs_f64();
        println!(
            "round {round}: {:.0} quotes/s ({:.0} ns/quote)",
            rate,
            1e9 / rate
        );
        best = best.max(rate);
    }
    println!("quote(): best {best:.0} quotes/s on one core (target 1000000)");
}
