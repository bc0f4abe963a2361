use super::{Money, MoneyError};
use rust_decimal::Decimal;

/// Splits `total` in proportion to `weights` by the largest-remainder (Hamilton) method.
///
/// Every part is first given the floor of its exact share in minor units; the minor units left
/// over go one each to the parts with the largest remainders, ties to the earlier part. The
/// parts therefore always add up to `total` exactly, and no part differs from its exact share
/// by a whole minor unit or more. A negative total is split as its absolute value and negated;
/// a zero weight gets zero.
pub fn allocate(total: Money, weights: &[Decimal]) -> Result<Vec<Money>, MoneyError> {
    let weights = integer_weights(weights)?;
    let weight_sum = weights
        .iter()
        .try_fold(0i128, |sum, w| sum.checked_add(*w))
        .ok_or(MoneyError::Overflow)?;
    if weight_sum == 0 {
        return Err(MoneyError::InvalidWeights);
    }
    let units = total.minor_units();
    let whole = units.abs();

    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = whole.checked_mul(*weight).ok_or(MoneyError::Overflow)?;
        shares.push(exact / weight_sum);
        remainders.push((exact % weight_sum, index));
    }
    let handed_out: i128 = shares.iter().sum();
    let left_over = usize::try_from(whole - handed_out).map_err(|_| MoneyError::Overflow)?;
    // Largest remainder first; equal remainders go to the earlier part (stable order).
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().take(left_over) {
        shares[index] += 1;
    }
    let sign = if units < 0 { -1 } else { 1 };
    shares
        .into_iter()
        .map(|share| Money::from_minor_units(sign * share, total.currency()))
        .collect()
}

/// Splits `total` into `parts` as equal as the minor unit allows (earlier parts take the odd
/// minor units): 100.00 in 3 is 33.34, 33.33, 33.33.
pub fn split_evenly(total: Money, parts: usize) -> Result<Vec<Money>, MoneyError> {
    allocate(total, &vec![Decimal::ONE; parts])
}

/// The weights as integers on one common scale (their ratios unchanged).
fn integer_weights(weights: &[Decimal]) -> Result<Vec<i128>, MoneyError> {
    if weights.is_empty() || weights.iter().any(|w| w.is_sign_negative() && !w.is_zero()) {
        return Err(MoneyError::InvalidWeights);
    }
    let scale = weights
        .iter()
        .map(|w| w.normalize().scale())
        .max()
        .unwrap_or(0);
    weights
        .iter()
        .map(|w| {
            let w = w.normalize();
            let factor = 10i128
                .checked_pow(scale - w.scale())
                .ok_or(MoneyError::Overflow)?;
            w.mantissa().checked_mul(factor).ok_or(MoneyError::Overflow)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{parse_decimal, Currency};
    use proptest::prelude::*;

    fn money(amount: &str, code: &str) -> Money {
        let currency = Currency::parse(code).expect("valid code");
        Money::new(parse_decimal(amount).expect("valid amount"), currency).expect("valid money")
    }

    fn texts(parts: &[Money]) -> Vec<String> {
        parts.iter().map(|m| m.amount().to_string()).collect()
    }

    #[test]
    fn splits_evenly_with_odd_cents_first() {
        let parts = split_evenly(money("100.00", "USD"), 3).expect("valid");
        assert_eq!(texts(&parts), ["33.34", "33.33", "33.33"]);
        let parts = split_evenly(money("-100.00", "USD"), 3).expect("valid");
        assert_eq!(texts(&parts), ["-33.34", "-33.33", "-33.33"]);
        let parts = split_evenly(money("10", "JPY"), 4).expect("valid");
        assert_eq!(texts(&parts), ["3", "3", "2", "2"]);
    }

    #[test]
    fn follows_weights_and_largest_remainders() {
        let weights: Vec<Decimal> = ["0.5", "0.3", "0.2"]
            .iter()
            .map(|w| parse_decimal(w).expect("w"))
            .collect();
        let parts = allocate(money("0.05", "EUR"), &weights).expect("valid");
        // exact shares 2.5, 1.5, 1.0 cents: floors 2, 1, 1; one cent left, the tie goes to the first.
        assert_eq!(texts(&parts), ["0.03", "0.01", "0.01"]);
        let zero_weight =
            allocate(money("9.99", "EUR"), &[Decimal::ONE, Decimal::ZERO]).expect("valid");
        assert_eq!(texts(&zero_weight), ["9.99", "0.00"]);
    }

    #[test]
    fn refuses_meaningless_weights() {
        let total = money("1.00", "EUR");
        assert_eq!(allocate(total, &[]), Err(MoneyError::InvalidWeights));
        assert_eq!(
            allocate(total, &[Decimal::ZERO]),
            Err(MoneyError::InvalidWeights)
        );
        assert_eq!(
            allocate(total, &[Decimal::ONE, Decimal::NEGATIVE_ONE]),
            Err(MoneyError::InvalidWeights)
        );
        assert_eq!(split_evenly(total, 0), Err(MoneyError::InvalidWeights));
    }

    proptest! {
        #[test]
        fn parts_always_sum_to_the_whole(
            cents in -9_999_999_999_999i64..9_999_999_999_999i64,
            weights in proptest::collection::vec(0u32..10_000, 1..40),
            weight_places in 0u32..4,
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let currency = Currency::parse("USD").expect("USD");
            let total = Money::from_minor_units(i128::from(cents), currency).expect("in range");
            let weights: Vec<Decimal> = weights.iter().map(|w| Decimal::new(i64::from(*w), weight_places)).collect();
            let parts = allocate(total, &weights).expect("valid weights");
            prop_assert_eq!(parts.len(), weights.len());
            let sum: i128 = parts.iter().map(Money::minor_units).sum();
            prop_assert_eq!(sum, total.minor_units());
            for part in &parts {
                // every part has the total's sign (or is zero)
                prop_assert!(part.minor_units() == 0 || (part.minor_units() < 0) == (cents < 0));
            }
        }

        #[test]
        fn even_splits_differ_by_at_most_one_minor_unit(cents in -1_000_000_000i64..1_000_000_000, parts in 1usize..60) {
            let currency = Currency::parse("EUR").expect("EUR");
            let total = Money::from_minor_units(i128::from(cents), currency).expect("in range");
            let split = split_evenly(total, parts).expect("valid");
            let units: Vec<i128> = split.iter().map(Money::minor_units).collect();
            let max = units.iter().max().copied().unwrap_or(0);
            let min = units.iter().min().copied().unwrap_or(0);
            prop_assert!(max - min <= 1);
            prop_assert_eq!(units.iter().sum::<i128>(), total.minor_units());
        }
    }
}
