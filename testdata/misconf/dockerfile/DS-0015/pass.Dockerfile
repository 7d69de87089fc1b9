FROM centos:7
RUN yum install -y httpd && yum clean all
RUN if [ "$X" = 1 ]; then yum -y install tbb && yum clean -y all; fi
RUN --mount=type=cache,target=/var/cache/yum yum install -y git
RUN echo "yum install vim" && yum clean all
RUN ["sh", "-c", "yum -y install zsh; yum clean all"]
