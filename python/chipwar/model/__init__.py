"""The model layer: formulas (text to terms), designs (terms to matrices on the estimation sample) and the
boundary that turns any input table into a pandas frame. Estimators build on it; it knows no estimator."""
