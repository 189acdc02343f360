// Shared types and the error type of the chipwar kernels.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace chipwar {

using Index = Eigen::Index;
using MatrixXd = Eigen::MatrixXd;
using VectorXd = Eigen::VectorXd;
using VectorXi = Eigen::Matrix<int32_t, Eigen::Dynamic, 1>;
using MatrixXi = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Ref = Eigen::Ref<T>;
using CRefMat = Eigen::Ref<const MatrixXd>;
using CRefVec = Eigen::Ref<const VectorXd>;
// float32 storage of large inputs (kernels accumulate in float64)
using CRefMatF = Eigen::Ref<const Eigen::MatrixXf>;
using CRefVecF = Eigen::Ref<const Eigen::VectorXf>;

// Thrown by kernels on bad input or failed numerics; the bindings turn it into chipwar.ChipwarError.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Number of threads long kernels use (set_num_threads / CHIPWAR_NUM_THREADS; default: all cores).
int num_threads();
void set_num_threads(int n);

}  // namespace chipwar
